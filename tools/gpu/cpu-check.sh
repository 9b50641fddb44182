#!/usr/bin/env bash
# The GPU engine end to end on the CPU, where no GPU is: PyTorch from PyPI in a venv (build/torch-venv),
# the tiny Llama and Qwen2 fixtures compiled by export_aoti.py --device cpu (build/aoti/), and the
# torch-tagged tests (AotiReferenceTest: logits, early exit, greedy and tree windows against the
# transformers references) run through the JNI shim against that PyTorch's libtorch, and a synthetic
# export checked against its modules run eagerly. CI runs it after the README's test command (about
# 5 minutes on 2 cores, most of it the download and the compiles). FEATURE_DRAFT=1 adds the feature draft
# compiled for the CPU against the same draft in Java (FeatureDraftGraphsTest: its steps, its windows, and
# lossless serial speculation with it on the java engine's target; about 3 minutes more, so CI leaves it out).
#   [FEATURE_DRAFT=1] tools/gpu/cpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
venv="$root/build/torch-venv"
tools/gpu/torch-venv.sh
# Each export is one process of mostly single-threaded tracing and compiling, so they run side by side, each
# logging to its own file, printed once all have finished. What they wrote is checked, not their exit status.
logs="$root/build/aoti/logs" && mkdir -p "$logs"
exports=()
export_in_background() { # name, then export_aoti.py's arguments
    local name=$1; shift
    ("$venv/bin/python" tools/gpu/export_aoti.py "$@" > "$logs/$name.log" 2>&1) &
    exports+=("$!:$name")
}
wait_for_exports() {
    local entry
    for entry in "${exports[@]}"; do
        wait "${entry%%:*}" || true
        grep -E "^compiled|rror" "$logs/${entry#*:}.log" || true
    done
    exports=()
}
for m in tiny-llama tiny-qwen2; do
    if [ ! -f "build/aoti/$m/mirror-sd-aoti.json" ]; then
        export_in_background "$m" "build/aoti/$m" --target "core/src/test/resources/fixtures/$m" \
            --exit-layer 1 --device cpu --max-window 16 --max-context 256
    fi
done
wait_for_exports
for m in tiny-llama tiny-qwen2; do
    [ -f "build/aoti/$m/mirror-sd-aoti.json" ] || { echo "export of $m failed"; cat "$logs/$m.log"; exit 1; }
done
# a synthetic shape, each graph compiled by a process of its own as the GPU scripts do, against the same modules
# run eagerly: the check (check_aoti.py --synthetic) that found the one-row bfloat16 fault on the GPU
syn=build/aoti/synthetic-smollm2
if [ ! -f "$syn/mirror-sd-aoti.json" ]; then
    for g in prefix suffix exit_head; do
        export_in_background "synthetic-$g" "$syn" --synthetic smollm2-135m --synthetic-layers 2 --exit-layer 1 \
            --device cpu --max-window 16 --max-context 256 --graphs $g
    done
    wait_for_exports
    "$venv/bin/python" tools/gpu/export_aoti.py "$syn" --merge
fi
OMP_NUM_THREADS=1 "$venv/bin/python" tools/gpu/check_aoti.py "$syn" --synthetic smollm2-135m --tol 1e-3 2>&1 \
    | grep -v "Warning\|return cls"
torch_lib="$("$venv/bin/python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
MIRRORSD_TORCH_LIB="$torch_lib" MIRRORSD_AOTI_TINY_LLAMA="$root/build/aoti/tiny-llama" \
MIRRORSD_AOTI_TINY_QWEN2="$root/build/aoti/tiny-qwen2" \
    mvn -B -q -pl engine-aoti -am test-compile surefire:test -Dtest=AotiReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dgroups=torch -Dmirrorsd.excludedGroups=
if [ "${FEATURE_DRAFT:-0}" = 1 ]; then
    fd=build/aoti/feature-draft
    if [ ! -f "$fd/mirror-sd-aoti.json" ]; then
        "$venv/bin/pip" install -q --disable-pip-version-check gguf==0.19.0 accelerate==1.16.0 # transformers reads GGUF with them
        gguf="$(scripts/fetch-models.sh | tail -n 1)"
        for g in fc step; do
            # 512 slots: a dynamic tree's drafter reserves its nodes' slots past the committed ones
            export_in_background "feature-draft-$g" "$fd" --feature-draft models/feature-draft --embedding-from "$gguf" \
                --device cpu --max-window 16 --max-context 512 --graphs $g
        done
        wait_for_exports
        "$venv/bin/python" tools/gpu/export_aoti.py "$fd" --merge \
            || { cat "$logs"/feature-draft-*.log; echo "export of the feature draft failed"; exit 1; }
    fi
    MIRRORSD_TORCH_LIB="$torch_lib" MIRRORSD_AOTI_FEATURE_DRAFT="$root/$fd" \
        mvn -B -q -pl pipeline -am test-compile surefire:test -Dtest=FeatureDraftGraphsTest \
        -Dsurefire.failIfNoSpecifiedTests=false -Dgroups=torch -Dmirrorsd.excludedGroups=
fi
