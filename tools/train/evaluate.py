"""Stage 5: measure the draft (as shipped: fp16-rounded weights, fp32 compute) and the target's early exit
on the HELD-OUT prompts' target continuations (never trained on; not Spec-Bench).

Usage: evaluate.py [--data build/train] [--draft DATA/draft.pt] [--out DATA/metrics.json]
Metrics over response positions t (the next token is one the target wrote greedily):
  top1: draft argmax == target argmax (target: teacher-forced fp32, no TF32);
  accept[gamma]: mean of 1 + min(gamma, run of consecutive agreeing positions from t) over t with >= gamma
    positions left: exactly the greedy-verification acceptance when the draft drafts autoregressively from the
    true prefix (while it agrees, its own prefix IS the true prefix);
  mtp[k]: head k's argmax at t == the target's greedy token at t+2+k;
  stream_accept4: acceptance of a 4-token block from ONE draft forward (main + 3 MTP heads);
  early_exit[l]: argmax(lm_head(norm(h_l))) == final argmax, l = 1..29 (all response positions).
"""
import argparse
import json
import os
import time

import torch

from common import Draft, load_target

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="build/train")
ap.add_argument("--draft", default=None)
ap.add_argument("--out", default=None)
ap.add_argument("--limit", type=int, default=0)
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
args = ap.parse_args()
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = args.device
data = torch.load(os.path.join(args.data, "gen.pt"))
ck = torch.load(args.draft or os.path.join(args.data, "draft.pt"))
ho = [i for i, s in enumerate(data["split"]) if s == "heldout"]
if args.limit:
    ho = ho[: args.limit]
target = load_target(dev)
draft = Draft(ck["config"]).to(dev)
draft.load_state_dict({k: (v.half().float() if v.is_floating_point() else v) for k, v in ck["state"].items()})
draft.eval()
d2t = draft.draft_to_target
NL = target.config.num_hidden_layers
K = len(draft.mtp)
gammas = (1, 2, 3, 4, 5, 6, 8)
acc = {"n": 0, "top1": 0, "in_vocab": 0, "gen_vs_tf_mismatch": 0, "ee": [0] * (NL + 1), "mtp": [0] * K, "mtp_n": [0] * K,
       "acc": {g: [0, 0] for g in gammas}, "stream4": [0, 0]}
t0 = time.time()
with torch.no_grad():
    for i in ho:
        x = data["tokens"][i].long().to(dev)[None]
        p, L = data["prompt_len"][i], x.shape[1]
        if L - p < 2:
            continue
        o = target(input_ids=x, output_hidden_states=True)
        tam = o.logits[0].argmax(-1)  # target greedy token for position t+1
        lo, hi = p - 1, L - 1  # positions t in [lo, hi) predict response tokens
        ref = tam[lo:hi]
        acc["gen_vs_tf_mismatch"] += (ref != x[0, lo + 1:hi + 1]).sum().item()
        for l in range(1, NL):
            ee = target.lm_head(target.model.norm(o.hidden_states[l][0, lo:hi])).argmax(-1)
            acc["ee"][l] += (ee == ref).sum().item()
        emb = target.model.embed_tokens(x)
        h, _ = draft.trunk(emb, torch.arange(L, device=dev)[None])
        lg, m = draft.heads(h)
        dp = d2t[lg[0].argmax(-1)][lo:hi]
        match = (dp == ref)
        n = hi - lo
        acc["n"] += n
        acc["top1"] += match.sum().item()
        acc["in_vocab"] += torch.isin(ref, d2t).sum().item()
        run = torch.zeros(n + 1, dtype=torch.long)
        mc = match.cpu()
        for t in range(n - 1, -1, -1):
            run[t] = run[t + 1] + 1 if mc[t] else 0
        for g in gammas:
            if n >= g:
                acc["acc"][g][0] += (1 + run[: n - g + 1].clamp(max=g)).sum().item()
                acc["acc"][g][1] += n - g + 1
        mp = d2t[m[0].argmax(-1)][lo:hi]  # [n,K]
        for k in range(K):
            j = k + 1  # head k predicts the token after position t+1+k, i.e. target argmax at t+1+k
            if n > j:
                acc["mtp"][k] += (mp[: n - j, k] == ref[j:]).sum().item()
                acc["mtp_n"][k] += n - j
        # one forward, 4-token block: [main, mtp0, mtp1, mtp2] at t vs ref[t..t+3]
        if n >= K + 1:
            blk = torch.cat([dp[:, None], mp], 1)[: n - K]
            refb = torch.stack([ref[j: n - K + j] for j in range(K + 1)], 1)
            ok = (blk == refb).long().cumprod(1).sum(1)
            acc["stream4"][0] += (1 + ok).sum().item()
            acc["stream4"][1] += n - K
N = acc["n"]
res = {
    "heldout_sequences": len(ho), "positions": N,
    "draft_top1_agreement": acc["top1"] / N,
    "target_token_in_draft_vocab": acc["in_vocab"] / N,
    "expected_accept_length_greedy": {str(g): acc["acc"][g][0] / acc["acc"][g][1] for g in gammas},
    "mtp_agreement": {f"t+{k + 2}": acc["mtp"][k] / max(1, acc["mtp_n"][k]) for k in range(K)},
    "stream4_accept_length_one_forward": acc["stream4"][0] / max(1, acc["stream4"][1]),
    "target_early_exit_agreement": {str(l): acc["ee"][l] / N for l in range(1, NL)},
    "generated_vs_teacher_forced_argmax_mismatch": acc["gen_vs_tf_mismatch"] / N,
    "eval_seconds": time.time() - t0,
    "device": torch.cuda.get_device_name() if dev == "cuda" else "cpu",
}
for k in ("train_seconds", "steps", "train_tokens", "response_tokens", "vocab_coverage_train", "args"):
    res[k] = ck.get(k)
out = args.out or os.path.join(args.data, "metrics.json")
json.dump(res, open(out, "w"), indent=1)
print(json.dumps({k: v for k, v in res.items() if k != "target_early_exit_agreement"}, indent=1))
print("early exit:", " ".join(f"{l}:{v:.3f}" for l, v in res["target_early_exit_agreement"].items()))
