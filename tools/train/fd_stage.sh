#!/usr/bin/env bash
# Stages what fd_device.sh needs on the lent GPU machine, which cannot reach the network and takes at most 64 MiB
# per call with the repository: the GGUF split in 22 MB parts, one folder per quick call (build/fd/p-aa, ...), and
# build/fd/run for the main call (the last part, the scripts, the gguf wheel, Spec-Bench's questions for the overlap
# filter and the evaluation, and the corpus prompts). Run scripts/fetch-models.sh, tools/train/fetch_corpus.sh and
# make_prompts.py first (docs/guide/training-the-draft.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
gguf=$(scripts/fetch-models.sh)
questions=${MIRRORSD_QUESTIONS:-../shared/specbench/question.jsonl}
prompts=${PROMPTS:-build/train/prompts.jsonl.gz}
for f in "$questions" "$prompts"; do [ -s "$f" ] || { echo "missing $f" >&2; exit 1; }; done
rm -rf build/fd && mkdir -p build/fd/run/whl build/fd/split
(cd build/fd/split && split -b 22000000 "$gguf" part-)
parts=(build/fd/split/part-*)
for p in "${parts[@]:0:${#parts[@]}-1}"; do
    d="build/fd/p-${p##*part-}"; mkdir -p "$d"; mv "$p" "$d/"
done
mv "${parts[-1]}" build/fd/run/ && rmdir build/fd/split
sha256sum "$gguf" > build/fd/run/gguf.sha256
mkdir -p build/fd/run/train && cp tools/train/*.py build/fd/run/train/
cp "$questions" build/fd/run/question.jsonl
cp "$prompts" build/fd/run/prompts.jsonl.gz
python3 -m pip download -q --no-deps --only-binary=:all: -d build/fd/run/whl gguf==0.19.0
ls -d build/fd/p-* | sed 's/^/quick call: carry /'
du -sh build/fd/run | sed 's/^/main call: carry build\/fd\/run, /'
