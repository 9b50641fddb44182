#!/usr/bin/env bash
# Runs fd_job.py on the device machine from a staged folder (see docs/guide/training-the-draft.md):
#   STAGE/part-<last>, STAGE/gguf.sha256, STAGE/whl/gguf-*.whl, STAGE/question.jsonl, STAGE/train/*.py
# with the GGUF's other parts (split -b 22000000: part-aa, part-ab, ...) already copied to /tmp/g by earlier calls,
# since each call carries at most 64 MiB with the repository. Extra arguments go to the job: fd_job.py, or with
# JOB=fd_layers the feature-layer table on the data an earlier fd_job.py call left under --work.
set -euo pipefail
STAGE=${STAGE:-build/fd/run}
mkdir -p /tmp/g
if [ ! -f /tmp/g/SmolLM2-135M-Instruct.Q4_1.gguf ]; then
  cp "$STAGE"/part-* /tmp/g/
  cat /tmp/g/part-* > /tmp/g/SmolLM2-135M-Instruct.Q4_1.gguf
fi
(cd /tmp/g && sed 's#  .*#  SmolLM2-135M-Instruct.Q4_1.gguf#' "$OLDPWD/$STAGE/gguf.sha256" | sha256sum -c -)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$STAGE"/whl/*.whl
export PYTHONPATH=/tmp/site:$STAGE/train MIRROR_SD_GGUF_DIR=/tmp/g PYTHONUNBUFFERED=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TRANSFORMERS_VERBOSITY=error TQDM_DISABLE=1
JOB=${JOB:-fd_job}
if [ "$JOB" = fd_job ]; then set -- --specbench "$STAGE/question.jsonl" "$@"; fi
python3 "$STAGE/train/$JOB.py" "$@"
