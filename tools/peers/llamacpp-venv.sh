#!/usr/bin/env bash
# Builds llama-cpp-python (PyPI ships only its sdist, so pip compiles llama.cpp) into a venv, for
# tools/peers/llamacpp_peers.py. Usage: tools/peers/llamacpp-venv.sh [VENV_DIR]
# (default build/peers/llamacpp-venv). Takes 10-20 minutes on two cores; runs niced.
#
# GGML_NATIVE is off on purpose: the development VM advertises AMX and the full AVX-512 family,
# and a native build died there with "illegal instruction". The flags below name the instruction
# sets explicitly; AVX-512 (F/BW/DQ/VL) is on where the CPU has it, AMX stays off.
# LLAMACPP_CMAKE_ARGS replaces them (for example without -DGGML_AVX512=ON on a CPU without it).
set -euo pipefail

here="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${1:-$here/build/peers/llamacpp-venv}"
version="${LLAMACPP_PYTHON_VERSION:-0.3.36}"
python="${PYTHON:-python3}"
# AVX-512 only where /proc/cpuinfo lists it: these machines are sometimes Xeons with it, sometimes EPYCs without.
avx512=OFF
if grep -qw avx512bw /proc/cpuinfo 2>/dev/null && grep -qw avx512vl /proc/cpuinfo; then avx512=ON; fi
cmake_args="${LLAMACPP_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=$avx512 -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF -DLLAVA_BUILD=OFF}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/pip" install -q numpy gguf
echo "building llama-cpp-python==$version into $venv with CMAKE_ARGS=$cmake_args"
# pip keeps an installed build whatever flags it had: build again when they differ from the last build's
reinstall=()
if [ "$(cat "$venv/.llamacpp-cmake-args" 2>/dev/null)" != "$version $cmake_args" ]; then reinstall=(--force-reinstall --no-deps); fi
CMAKE_ARGS="$cmake_args" CMAKE_BUILD_PARALLEL_LEVEL=2 FORCE_CMAKE=1 \
    nice -n 19 "$venv/bin/pip" install --no-cache-dir --no-binary llama-cpp-python "${reinstall[@]}" \
    "llama-cpp-python==$version"
echo "$version $cmake_args" > "$venv/.llamacpp-cmake-args"

# The check that matters: an instruction the CPU lacks only shows when the kernels run.
gguf="${MIRRORSD_GGUF:-$HOME/.cache/mirror-sd/SmolLM2-135M-Instruct.Q4_1.gguf}"
if [ -f "$gguf" ]; then
    "$venv/bin/python" - "$gguf" <<'PY'
import sys
import llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, n_threads=2, n_threads_batch=2,
                      verbose=False)
out = llm("The capital of France is", max_tokens=16, temperature=0.0, top_k=1)
print(f"llama-cpp-python {llama_cpp.__version__} runs: {out['choices'][0]['text']!r}")
PY
else
    echo "no GGUF at $gguf (scripts/fetch-models.sh fetches it); skipped the run check" >&2
fi
