#!/usr/bin/env python3
"""Checks an exported AOTI target against Hugging Face transformers (eager, float32).

    check_aoti.py OUTDIR MODEL [--tol 1e-3]

Loads OUTDIR's .pt2 packages with torch._inductor.aoti_load_package and runs them the way the
Java engine does (one persistent cache, prefix -> suffix, exit head): a prefill, a decode step and
a tree window; exits non-zero unless the logits match transformers within --tol (max abs diff).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_aoti import MASKED, load_hf  # noqa: E402


def tree_mask(parents, past, device):
    w = len(parents)
    m = torch.full((w, past + w), MASKED, device=device)
    m[:, :past] = 0
    for row in range(w):
        r = row
        while r >= 0:
            m[row, past + r] = 0
            r = parents[r]
    return m


class Runner:
    def __init__(self, outdir, capacity=256):
        with open(os.path.join(outdir, "mirror-sd-aoti.json")) as f:
            self.m = json.load(f)
        self.dev = self.m["device"]
        load = torch._inductor.aoti_load_package
        self.stages = [(s, load(os.path.join(outdir, s["graph"] + ".pt2"))) for s in self.m["stages"]]
        self.heads = {h["kind"]: load(os.path.join(outdir, h["graph"] + ".pt2")) for h in self.m["heads"]}
        dtype = getattr(torch, self.m["dtype"])
        self.cache = torch.zeros(self.m["num_layers"], 2, self.m["kv_heads"], capacity, self.m["head_dim"],
                                 device=self.dev, dtype=dtype)
        self.length = 0

    def run(self, tokens, parents, positions=None):
        w = len(tokens)
        p = self.length
        if positions is None:
            positions = list(range(p, p + w))
        x = torch.tensor(tokens, device=self.dev)
        pos = torch.tensor(positions, device=self.dev)
        mask = tree_mask(parents, p, self.dev)
        idx = torch.arange(p, p + w, device=self.dev)
        exits = {}
        for s, graph in self.stages:
            out = graph(x, pos, mask, idx, self.cache)
            named = dict(zip(s["outputs"], out))
            if "hidden" in named:
                x = named["hidden"]
                if "exit" in self.heads and s["end_layer"] < self.m["num_layers"]:
                    exits[s["end_layer"]] = self.heads["exit"](x)[0]
        self.length = p + w
        return named["logits"].float().cpu(), exits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("model")
    ap.add_argument("--tol", type=float, default=1e-3)
    args = ap.parse_args()
    hf = load_hf(args.model)
    r = Runner(args.outdir)
    vocab = r.m["vocab"]
    g = torch.Generator().manual_seed(7)
    prompt = torch.randint(3, vocab, (8,), generator=g).tolist()

    def hf_logits(ids, layer=None):
        with torch.no_grad():
            out = hf(torch.tensor([ids]), output_hidden_states=layer is not None)
            if layer is None:
                return out.logits[0]
            return hf.lm_head(hf.model.norm(out.hidden_states[layer]))[0]

    worst = 0.0

    def report(what, got, want):
        nonlocal worst
        d = (got - want).abs().max().item()
        worst = max(worst, d)
        print(f"{what}: max |aoti - transformers| = {d:.3g}; argmax equal {bool((got.argmax(-1) == want.argmax(-1)).all())}")

    logits, exits = r.run(prompt, [i - 1 for i in range(len(prompt))])
    report("prefill", logits, hf_logits(prompt))
    for k, e in exits.items():
        report(f"prefill exit logits after layer {k}", e.float().cpu(), hf_logits(prompt, k))
    nxt = int(logits[-1].argmax())
    logits, _ = r.run([nxt], [-1])
    report("decode step", logits[0], hf_logits(prompt + [nxt])[-1])
    tree = torch.randint(3, vocab, (6,), generator=g).tolist()
    parents = [-1, 0, 0, 1, 2, -1]
    depth = []
    for i, p in enumerate(parents):
        depth.append(0 if p < 0 else depth[p] + 1)
    base = r.length
    logits, _ = r.run(tree, parents, [base + d for d in depth])
    ctx = prompt + [nxt]
    for row in range(len(tree)):
        path, q = [], row
        while q >= 0:
            path.append(tree[q])
            q = parents[q]
        report(f"tree row {row}", logits[row], hf_logits(ctx + path[::-1])[-1])
    if not worst < args.tol:
        sys.exit(f"max difference {worst} exceeds {args.tol}")
    print("ok")


if __name__ == "__main__":
    main()
