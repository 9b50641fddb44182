#!/usr/bin/env bash
# The whole GPU check of the 135M target in one command. Run from a folder STAGE holding:
#   jre.tar.xz (jlink runtime), lib/*.jar (mirror-sd jars, gson, slf4j, disruptor, gpucheck.jar),
#   libmirrorsd_aoti.so, gguf-*.whl, py/gpu (tools/gpu), py/train/common.py, reference-smollm2.json
# and the target GGUF at $GGUF. The repository root is the current directory (models/draft is read).
#   tools/gpu/device-run.sh STAGE GGUF OUTDIR
set -uo pipefail
stage="$1"; gguf="$2"; out="$3"
mkdir -p "$out"
log() { echo "[$(date +%T)] $*"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$stage"/gguf-*.whl \
    && export PYTHONPATH=/tmp/site
tar xJf "$stage/jre.tar.xz" -C /tmp
export MIRRORSD_TORCH_LIB="$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')"
python3 -c 'import torch,transformers;print("torch",torch.__version__,"transformers",transformers.__version__)'
py="$stage/py/gpu"
exp() { timeout 380 python3 "$py/export_aoti.py" "$@"; }
export TORCHINDUCTOR_COMPILE_THREADS=4 PYTHONUNBUFFERED=1
common=(--device cuda --max-window 128 --max-context 1024)
# 1. compile: one process per graph, in parallel
log "export start"
exp /tmp/t32 --target "$gguf" --exit-layer 8 --dtype float32 "${common[@]}" --graphs prefix > "$out/exp-t-prefix.log" 2>&1 &
exp /tmp/t32 --target "$gguf" --exit-layer 8 --dtype float32 "${common[@]}" --graphs suffix > "$out/exp-t-suffix.log" 2>&1 &
exp /tmp/t32 --target "$gguf" --exit-layer 8 --dtype float32 "${common[@]}" --graphs exit_head > "$out/exp-t-exit.log" 2>&1 &
exp /tmp/d32 --draft models/draft --embedding-from "$gguf" --dtype float32 "${common[@]}" --graphs layers > "$out/exp-d-layers.log" 2>&1 &
exp /tmp/d32 --draft models/draft --embedding-from "$gguf" --dtype float32 "${common[@]}" --graphs mtp > "$out/exp-d-mtp.log" 2>&1 &
exp /tmp/tbf --target "$gguf" --dtype bfloat16 "${common[@]}" > "$out/exp-tbf.log" 2>&1 &
wait
log "export done"
exp /tmp/t32 --merge && exp /tmp/d32 --merge || { tail -n 5 "$out"/exp-*.log; exit 1; }
grep -h "compiled" "$out"/exp-*.log
# 2. the graphs against transformers, from Python
timeout 120 python3 "$py/check_aoti.py" /tmp/t32 "$gguf" 2>&1 | grep -v Warning | tee "$out/check_aoti.txt" | tail -12
# 3. the Java engine: greedy equality with the CPU engine, decode speed, serial SD
cp=$(ls "$stage"/lib/*.jar | tr '\n' ':')
log "java start"
timeout 150 /tmp/jre/bin/java -Xmx4g -Dmirrorsd.aoti.shim="$stage/libmirrorsd_aoti.so" -cp "$cp" GpuCheck check \
    "$stage/reference-smollm2.json" /tmp/t32 /tmp/d32 models/draft/model.safetensors cuda:0 cuda:0 "$out/gpucheck-f32.json" 2>&1 | tail -25
timeout 150 /tmp/jre/bin/java -Xmx4g -Dmirrorsd.aoti.shim="$stage/libmirrorsd_aoti.so" -cp "$cp" GpuCheck check \
    "$stage/reference-smollm2.json" /tmp/tbf /tmp/d32 models/draft/model.safetensors cuda:0 cuda:0 "$out/gpucheck-bf16.json" 2>&1 | tail -12
log "java done"
# 4. Hugging Face eager on the same GPU, and the graphs driven from Python
timeout 150 python3 "$py/bench_hf.py" "$gguf" "$stage/reference-smollm2.json" --aoti /tmp/t32 --out "$out/bench_hf.json" 2>&1 | grep -v Warning | tail -6
log "all done"
