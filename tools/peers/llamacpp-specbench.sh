#!/usr/bin/env bash
# llama.cpp beside mirror-sd on Spec-Bench in one command: llamacpp_peers.py (greedy and prompt lookup),
# then our autoregressive and prompt-lookup methods on the java engine with the same questions, tokens,
# gamma and threads, with the peer in the report; then, per peer method, the turns whose tokens equal our
# autoregressive ones.
#
# Usage: tools/peers/llamacpp-specbench.sh OUT [--limit N] [--task-limit N] [--categories LIST]
#            [--max-new-tokens N] [--num-assistant-tokens G] [--warmups N] [--threads T]
# OUT/peer holds the peer's answers, OUT our answers and report.md / report.json / report.html.
# The venv is build/peers/llamacpp-venv (tools/peers/llamacpp-venv.sh), or $LLAMACPP_VENV.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
[ $# -ge 1 ] || { sed -n 2,10p "$0" >&2; exit 2; }
out="$1"; shift
python="${LLAMACPP_VENV:-$here/build/peers/llamacpp-venv}/bin/python"
[ -x "$python" ] || { echo "no venv at ${python%/bin/python}: run tools/peers/llamacpp-venv.sh first" >&2; exit 2; }

shared=() threads=2 warmups=3
while [ $# -gt 0 ]; do
    case "$1" in
        --limit|--task-limit|--categories|--max-new-tokens|--num-assistant-tokens) shared+=("$1" "$2"); shift 2 ;;
        --warmups) warmups="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

echo "== llama.cpp, $threads threads (load: $(uptime | sed 's/.*load average: //'))" >&2
"$python" "$here/tools/peers/llamacpp_peers.py" "${shared[@]}" --warmups "$warmups" --threads "$threads" \
    --output "$out/peer"
echo "== mirror-sd, java:cpu, $threads threads (load: $(uptime | sed 's/.*load average: //'))" >&2
"$here/bin/mirror-sd" specbench "${shared[@]}" --warmups "$warmups" --no-progress \
    --methods autoregressive,prompt-lookup --plan "target=java:cpu,draft=java:cpu,threads.target=$threads" \
    --peer "$out/peer" --output "$out"
echo "== load after: $(uptime | sed 's/.*load average: //')" >&2
for method in llamacpp-greedy llamacpp-prompt-lookup; do
    echo "$method against our autoregressive:"
    python3 "$here/tools/peers/specbench_io.py" "$out/autoregressive.jsonl" "$out/peer/$method.jsonl"
done
