#!/usr/bin/env bash
# bin/mirror-sd builds on first use only: a second call, with nothing changed, must start without
# building. Prints one closing line; exits 1 if the second call built.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/bin/mirror-sd" --version > /dev/null 2> /tmp/mirror-sd-first.err || { cat /tmp/mirror-sd-first.err; exit 1; }
"$root/bin/mirror-sd" --version > /dev/null 2> /tmp/mirror-sd-second.err
if grep -q "building" /tmp/mirror-sd-second.err; then
  echo "check-no-rebuild: 0 passed, 1 failed (the second call built again)"
  exit 1
fi
if grep -q $'\e\[' /tmp/mirror-sd-first.err; then
  echo "check-no-rebuild: 0 passed, 1 failed (the build printed terminal escape codes)"
  exit 1
fi
echo "check-no-rebuild: 1 passed, 0 failed"
