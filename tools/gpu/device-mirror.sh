#!/usr/bin/env bash
# Mirror-SD on GPUs and the 8B synthetic decode, in phases (each fits one 10-minute device command;
# what a phase compiles stays in /tmp/aoti-* for the next). Run from the repository root (models/draft
# is read) with STAGE as made by tools/gpu/make-stage.sh and the target GGUF at $GGUF:
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR compile   # 135M target split at 12,24 + draft (GPU 0);
#                                                          # 8B synthetic float16 (DTYPE_8B) split at 16, one-row
#                                                          # static decode graphs (MAX_WINDOW_8B=1; last GPU, detached)
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR check     # greedy equality with the CPU engine, decode and serial
#                                                          # SD tokens/s, with CUDA graphs off, then on
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR mirror    # AR vs serial SD vs Mirror: draft on GPU 0, then GPU 1
#                                                          # (FEATURE_DRAFT=models/feature-draft: and the feature
#                                                          # draft fed the target's layer 24, in Java on the host
#                                                          # and compiled on the draft's GPU; `compile` exports it;
#                                                          # TREES=24:4:6,60:6:8 adds its dynamic trees,
#                                                          # a fourth field the lookup n-gram (0: none);
#                                                          # PHASES=true each run's ms per round by phase;
#                                                          # HOST_DRAFT=0 leaves the Java draft's runs out,
#                                                          # TOKEN_DRAFT=false the token draft's, MIRROR=false
#                                                          # every Mirror-SD run)
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR compile8b # only the 8B export, on GPU 0 (detached)
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR decode8b  # 8B: AOTI engine from Java vs HF eager, GPU 0
#                                                          # (PROFILE=1: and profiled runs, MIRRORSD_AOTI_PROFILE)
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR compile8bsd # only the 8B speculative pair (below), GPU 0 (detached)
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR mirror8b  # the mirror table for the 8B target with exit head and a
#                                                          # synthetic 8B-shaped draft (timing only), DECODE_8B tokens
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR check8b   # the one-row 8B export's logits against its modules run
#                                                          # eagerly (check_aoti.py --synthetic), GPU 0
#   tools/gpu/device-mirror.sh STAGE GGUF OUTDIR agree8b   # the one-row 8B export's greedy tokens against the speculative
#                                                          # pair's dynamic-window target (same synthetic weights), GPU 0
# Phases can be chained: "compile mirror decode8b". SKIP_8B=1 leaves the 8B decode export out, SD_8B=1 adds the
# 8B speculative pair's export to `compile` (last GPU, detached).
# JAVA_OPTS adds JVM options to the Java phases, e.g. -Dmirrorsd.aoti.graphWindow=64. PROMPT_FILE replaces the
# fixture prompts of `mirror` (tools/gpu/specbench_prompts.py: Spec-Bench first turns; compile with MAX_CONTEXT=2048).
set -uo pipefail
stage="$1"; gguf="$2"; out="$3"; shift 3
mkdir -p "$out"
log() { echo "[$(date +%T)] $*"; }
gpus=$(nvidia-smi --query-gpu=name --format=csv,noheader | wc -l)
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
if [ ! -d /tmp/site/gguf ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$stage"/gguf-*.whl
fi
export PYTHONPATH=/tmp/site
[ -x /tmp/jre/bin/java ] || tar xJf "$stage/jre.tar.xz" -C /tmp
export MIRRORSD_TORCH_LIB="$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')"
export TORCHINDUCTOR_COMPILE_THREADS=${TORCHINDUCTOR_COMPILE_THREADS:-3} PYTHONUNBUFFERED=1
py="$stage/py/gpu"
cp=$(ls "$stage"/lib/*.jar | tr '\n' ':')
java=(/tmp/jre/bin/java -Xmx8g ${JAVA_OPTS:-} --add-modules jdk.incubator.vector -Dmirrorsd.aoti.shim="$stage/libmirrorsd_aoti.so" -cp "$cp")
# export_aoti.py "$3"... on GPU $1 in its own session (a compile that outlasts this command goes on into
# the next one); its pid joins /tmp/$2.pids, its log /tmp/$2-<n>.log
detach() {
    local gpu=$1 tag=$2 n
    shift 2
    n=$(cat "/tmp/$tag.pids" 2>/dev/null | wc -l)
    CUDA_VISIBLE_DEVICES=$gpu setsid nohup timeout 900 python3 "$py/export_aoti.py" "$@" > "/tmp/$tag-$n.log" 2>&1 \
        < /dev/null &
    echo $! >> "/tmp/$tag.pids"
}
alive() {
    local p
    for p in $(cat "/tmp/$1.pids"); do
        kill -0 "$p" 2>/dev/null && return 0
    done
    return 1
}
# waits (until SECONDS reaches $2) for the detached compiles $1, then merges the manifests of the export
# directories "$3"...
await() {
    local tag=$1 deadline=$2 d
    shift 2
    [ -f "/tmp/$tag.pids" ] || return 0
    while [ "$SECONDS" -lt "$deadline" ] && alive "$tag"; do
        sleep 5
    done
    cp /tmp/"$tag"-*.log "$out/" 2>/dev/null
    grep -h "compiled\|Error\|error:" /tmp/"$tag"-*.log | head
    if alive "$tag"; then
        log "$tag export not finished"; tail -n 3 /tmp/"$tag"-*.log; return 1
    fi
    for d in "$@"; do
        exp "$d" --merge || return 1
    done
    rm -f "/tmp/$tag.pids"; log "$tag export done"
}
# the 8B synthetic target split at 16, one-row static decode graphs (MAX_WINDOW_8B=1), on GPU $1. float16: the
# export refuses a one-row bfloat16 graph on CUDA (AOTInductor computes it wrong; see export_aoti.py)
start8b() {
    local g
    for g in prefix suffix; do
        detach "$1" exp-8b /tmp/aoti-8b --synthetic llama-3-8b --dtype "${DTYPE_8B:-float16}" --exit-layer 16 --no-exit-head \
            --device cuda --max-window "${MAX_WINDOW_8B:-1}" --max-context 1024 ${AUTOTUNE_8B:+--max-autotune} --graphs $g
    done
}
# the 8B speculative pair on GPU $1: the target split at 16 with its exit head, windows up to 16 rows, and the
# project's draft layout at the 8B shape (random weights: timing only; tau and hit rates mean nothing)
start8bsd() {
    local g
    for g in prefix suffix exit_head; do
        detach "$1" exp-8bsd /tmp/aoti-8bsd --synthetic llama-3-8b --dtype "${DTYPE_8B:-float16}" --exit-layer 16 --device cuda \
            --max-window 16 --max-context 1024 --graphs $g
    done
    for g in layers mtp; do
        detach "$1" exp-8bsd /tmp/aoti-d8b --synthetic-draft llama-3-8b --dtype "${DTYPE_8B:-float16}" --device cuda \
            --max-window 16 --max-context 1024 --graphs $g
    done
}
# AR vs serial SD vs Mirror, draft on GPU 0, then on GPU 1: mirror_table TAG TARGET_DIR DRAFT_DIR DRAFT_TO_TARGET
mirror_table() {
    local name=$1 target=$2 draft=$3 map=$4 pair t d tag host=()
    # HOST_DRAFT=0: the compiled feature draft only, not the same draft in Java on the host too
    [ -n "${FEATURE_DRAFT:-}" ] && [ "${HOST_DRAFT:-1}" = 1 ] && host=(-Dgpucheck.featureDraft="$FEATURE_DRAFT")
    for pair in "cuda:0 cuda:0" "cuda:0 cuda:1"; do
        read -r t d <<< "$pair"
        [ "$d" = cuda:1 ] && [ "$gpus" -lt 2 ] && continue
        tag="$name-${t/:/}-${d/:/}"
        log "$name table: target $t, draft $d"
        timeout "${MIRROR_TIMEOUT:-280}" "${java[@]}" -Dgpucheck.decode="${DECODE:-256}" -Dgpucheck.prompts="${PROMPTS:-2}" \
            -Dgpucheck.gammas="${GAMMAS:-2,4}" -Dgpucheck.kappas="${KAPPAS:-2}" \
            -Dgpucheck.onMiss="${ON_MISS:-redraft,target-step}" "${host[@]}" \
            ${FEATURE_DRAFT:+-Dgpucheck.gguf="$gguf"} ${FEATURE_DRAFT:+-Dgpucheck.featureGraphs=/tmp/aoti-fd32} \
            -Dgpucheck.trees="${TREES:-}" -Dgpucheck.phases="${PHASES:-false}" \
            -Dgpucheck.tokenDraft="${TOKEN_DRAFT:-true}" -Dgpucheck.mirror="${MIRROR:-true}" GpuCheck mirror \
            "${PROMPT_FILE:-$stage/reference-smollm2.json}" "$target" "$draft" "$map" "$t" "$d" "$out/$tag.json" 2>&1 \
            | grep -v SLF4J \
            | tee "$out/$tag.log"
    done
}
exp() { timeout "${EXPORT_TIMEOUT:-540}" python3 "$py/export_aoti.py" "$@"; }
# MAX_WINDOW=16 EXIT_LAYERS=24: a small window limit, so that the fixture prompts are prefilled in chunks
common=(--device cuda --max-window "${MAX_WINDOW:-128}" --max-context "${MAX_CONTEXT:-1024}")
exits="${EXIT_LAYERS:-12,24}"
stages="prefix suffix exit_head"
[[ "$exits" == *,* ]] && stages="prefix middle1 suffix exit_head"

for phase in "$@"; do
case "$phase" in
compile)
    log "export start (gpus: $gpus)"
    last=$((gpus - 1))
    pids=()
    for g in $stages; do
        CUDA_VISIBLE_DEVICES=0 exp /tmp/aoti-t32 --target "$gguf" --exit-layer "$exits" --dtype float32 "${common[@]}" \
            --graphs $g > "$out/exp-t-$g.log" 2>&1 &
        pids+=($!)
    done
    for g in layers mtp; do
        CUDA_VISIBLE_DEVICES=0 exp /tmp/aoti-d32 --draft models/draft --embedding-from "$gguf" --dtype float32 \
            "${common[@]}" --graphs $g > "$out/exp-d-$g.log" 2>&1 &
        pids+=($!)
    done
    if [ -n "${FEATURE_DRAFT:-}" ]; then
        for g in fc step; do
            CUDA_VISIBLE_DEVICES=0 exp /tmp/aoti-fd32 --feature-draft "$FEATURE_DRAFT" --embedding-from "$gguf" \
                --dtype float32 "${common[@]}" --graphs $g > "$out/exp-fd-$g.log" 2>&1 &
            pids+=($!)
        done
    fi
    [ "${SKIP_8B:-0}" != 1 ] && start8b "$last"
    [ "${SD_8B:-0}" = 1 ] && start8bsd "$last"
    wait "${pids[@]}"
    log "135M export done"
    grep -h "compiled\|Error\|error:" "$out"/exp-*.log | head -40
    exp /tmp/aoti-t32 --merge && exp /tmp/aoti-d32 --merge || { tail -n 20 "$out"/exp-*.log; exit 1; }
    if [ -n "${FEATURE_DRAFT:-}" ]; then
        exp /tmp/aoti-fd32 --merge || { tail -n 20 "$out"/exp-fd-*.log; exit 1; }
    fi
    await exp-8b "${COMPILE_DEADLINE:-520}" /tmp/aoti-8b
    await exp-8bsd "${COMPILE_DEADLINE:-520}" /tmp/aoti-8bsd /tmp/aoti-d8b
    du -sh /tmp/aoti-* ;;
compile8b)
    log "8B export start"
    start8b 0 ;;
compile8bsd)
    log "8B speculative pair export start"
    start8bsd 0 ;;
check)
    for window in 0 16; do
        log "check: CUDA graphs for windows up to $window rows (0 = off)"
        timeout 200 "${java[@]}" -Dmirrorsd.aoti.graphWindow=$window -Dgpucheck.decode="${DECODE:-256}" GpuCheck check \
            "$stage/reference-smollm2.json" /tmp/aoti-t32 /tmp/aoti-d32 models/draft/model.safetensors cuda:0 cuda:0 \
            "$out/check-graphs$window.json" 2>&1 | grep -v SLF4J | tee "$out/check-graphs$window.log"
    done ;;
mirror)
    mirror_table mirror /tmp/aoti-t32 /tmp/aoti-d32 models/draft/model.safetensors ;;
mirror8b)
    await exp-8bsd $((SECONDS + ${WAIT_8B:-300})) /tmp/aoti-8bsd /tmp/aoti-d8b || continue
    DECODE=${DECODE_8B:-128} ON_MISS=${ON_MISS_8B:-target-step} mirror_table mirror8b /tmp/aoti-8bsd /tmp/aoti-d8b \
        /tmp/aoti-d8b/draft_to_target.safetensors ;;
check8b)
    await exp-8b $((SECONDS + ${WAIT_8B:-300})) /tmp/aoti-8b || continue
    log "8B synthetic one-row export against its own modules run eagerly (check_aoti.py --synthetic)"
    timeout 300 python3 "$py/check_aoti.py" /tmp/aoti-8b --synthetic llama-3-8b --tol "${TOL_8B:-1}" 2>&1 \
        | grep -v "Warn\|return cls" | tee "$out/check-8b.log" ;;
agree8b)
    await exp-8b $((SECONDS + ${WAIT_8B:-300})) /tmp/aoti-8b || continue
    await exp-8bsd $((SECONDS + ${WAIT_8B:-300})) /tmp/aoti-8bsd /tmp/aoti-d8b || continue
    log "8B synthetic: one-row export against the dynamic-window export, greedy tokens"
    timeout 300 "${java[@]}" -Dgpucheck.decode=64 GpuCheck agree "$stage/reference-smollm2.json" /tmp/aoti-8b /tmp/aoti-8bsd \
        cuda:0 "$out/agree-8b.json" 2>&1 | grep -v SLF4J ;;
decode8b)
    await exp-8b $((SECONDS + ${WAIT_8B:-300})) /tmp/aoti-8b || continue
    for window in 0 16; do
        log "8B synthetic: AOTI engine from Java, CUDA graphs for windows up to $window rows (0 = off)"
        timeout 200 "${java[@]}" -Dmirrorsd.aoti.graphWindow=$window -Dgpucheck.decode=256 GpuCheck decode \
            "$stage/reference-smollm2.json" /tmp/aoti-8b cuda:0 "$out/decode-8b-graphs$window.json" 2>&1 | grep -v SLF4J
        if [ "${PROFILE:-0}" = 1 ]; then
            log "8B synthetic, profiled (each graph run waited for; slower): CUDA graphs up to $window rows"
            MIRRORSD_AOTI_PROFILE=1 timeout 200 "${java[@]}" -Dmirrorsd.aoti.graphWindow=$window -Dgpucheck.decode=128 \
                GpuCheck decode "$stage/reference-smollm2.json" /tmp/aoti-8b cuda:0 "$out/decode-8b-profile$window.json" \
                2>&1 | grep -v SLF4J
        fi
    done
    [ "${SKIP_HF:-0}" = 1 ] && continue
    log "8B synthetic: Hugging Face eager"
    timeout 200 python3 "$py/bench_hf.py" --synthetic llama-3-8b "$stage/reference-smollm2.json" --out "$out/hf-8b.json" \
        2>&1 | grep -v Warning | tail -4 ;;
*)
    echo "unknown phase $phase"; exit 2 ;;
esac
done
log "done"
