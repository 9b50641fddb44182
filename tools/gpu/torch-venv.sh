#!/usr/bin/env bash
# PyTorch from PyPI in a venv (build/torch-venv), pinned, for the GPU engine's exports and checks on the CPU.
# Idempotent; CI starts it at the beginning, beside the Maven build, so that the download (several GB of
# CUDA wheels that PyPI's PyTorch depends on) overlaps the tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="$PWD/build/torch-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check torch==2.11.0 transformers==5.24.0 safetensors
