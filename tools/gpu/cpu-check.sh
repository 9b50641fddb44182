#!/usr/bin/env bash
# The GPU engine end to end on the CPU, where no GPU is: PyTorch from PyPI in a venv (build/torch-venv),
# the tiny Llama and Qwen2 fixtures compiled by export_aoti.py --device cpu (build/aoti/), and the
# torch-tagged tests (AotiReferenceTest: logits, early exit, greedy and tree windows against the
# transformers references) run through the JNI shim against that PyTorch's libtorch, and a synthetic
# export checked against its modules run eagerly. CI runs it after the README's test command (about
# 5 minutes on 2 cores, most of it the download and the compiles).
#   tools/gpu/cpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
venv="$root/build/torch-venv"
tools/gpu/torch-venv.sh
for m in tiny-llama tiny-qwen2; do
    if [ ! -f "build/aoti/$m/mirror-sd-aoti.json" ]; then
        "$venv/bin/python" tools/gpu/export_aoti.py "build/aoti/$m" --target "core/src/test/resources/fixtures/$m" \
            --exit-layer 1 --device cpu --max-window 16 --max-context 256 2>&1 | grep -E "^compiled|rror" || true
        [ -f "build/aoti/$m/mirror-sd-aoti.json" ] || { echo "export of $m failed"; exit 1; }
    fi
done
# a synthetic shape, each graph compiled by a process of its own as the GPU scripts do, against the same modules
# run eagerly: the check (check_aoti.py --synthetic) that found the one-row bfloat16 fault on the GPU
syn=build/aoti/synthetic-smollm2
if [ ! -f "$syn/mirror-sd-aoti.json" ]; then
    for g in prefix suffix exit_head; do
        "$venv/bin/python" tools/gpu/export_aoti.py "$syn" --synthetic smollm2-135m --synthetic-layers 2 --exit-layer 1 \
            --device cpu --max-window 16 --max-context 256 --graphs $g 2>&1 | grep -E "^compiled|rror" || true
    done
    "$venv/bin/python" tools/gpu/export_aoti.py "$syn" --merge
fi
OMP_NUM_THREADS=1 "$venv/bin/python" tools/gpu/check_aoti.py "$syn" --synthetic smollm2-135m --tol 1e-3 2>&1 \
    | grep -v "Warning\|return cls"
torch_lib="$("$venv/bin/python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
MIRRORSD_TORCH_LIB="$torch_lib" MIRRORSD_AOTI_TINY_LLAMA="$root/build/aoti/tiny-llama" \
MIRRORSD_AOTI_TINY_QWEN2="$root/build/aoti/tiny-qwen2" \
    mvn -B -q -pl engine-aoti -am test-compile surefire:test -Dtest=AotiReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dgroups=torch -Dmirrorsd.excludedGroups=
