#!/usr/bin/env bash
# The GPU part in one go: generate data, train, evaluate, pack the weights for the trip back.
# Usage: [STEPS=N] [LR=x] tools/train/pipeline.sh DATA OUTDIR [GEN_SECONDS] [TRAIN_SECONDS]
# TRAIN_SECONDS 0 trains exactly STEPS steps (the same on any GPU); otherwise the schedule runs on time too.
set -euo pipefail
DATA=$1; OUT=$2; GS=${3:-270}; TS=${4:-150}
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
export PYTHONUNBUFFERED=1
python3 generate_data.py --data "$DATA" --max-seconds "$GS" --batch 512
python3 train_draft.py --data "$DATA" --max-seconds "$TS" --steps 6000 --lr ${LR:-1e-3}
python3 evaluate.py --data "$DATA" --out "$OUT/metrics.json"
python3 - "$DATA" "$OUT" <<'PY'
import sys, torch
data, out = sys.argv[1:]
ck = torch.load(f"{data}/draft.pt")
st = {k: (v.half() if v.is_floating_point() else v) for k, v in ck["state"].items()}
meta = {k: v for k, v in ck.items() if k != "state"}
parts = [{} for _ in range(4)]  # <= 16 MiB per returned file
for k in sorted(st, key=lambda k: -st[k].numel()):
    min(parts, key=lambda p: sum(v.numel() for v in p.values()))[k] = st[k]
for j, p in enumerate(parts):
    torch.save({"meta": meta, "state": p}, f"{out}/draft_fp16_{j}.pt")
print("packed", len(st), "tensors")
PY
