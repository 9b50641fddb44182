#!/usr/bin/env python3
"""Checks an exported AOTI target against eager PyTorch of the same weights.

    check_aoti.py OUTDIR MODEL [--tol 1e-3]                # against Hugging Face transformers (eager, float32)
    check_aoti.py OUTDIR --synthetic llama-3-8b [--tol T]  # against the export's own modules run eagerly, with the
                                                           # synthetic weights export_aoti.py --synthetic made

Loads OUTDIR's libraries as the Java engine does (their model containers, libtorch's symbols made
global: torch._inductor.aoti_load_package segfaulted on the GPU machine) and runs them the way the
Java engine does (one persistent cache, prefix -> suffix, exit head; a prompt longer than the
export's window in chunks): a prefill, a decode step and a tree window (left out where the window
is one row); exits non-zero unless the logits match the reference within --tol (max abs diff).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from profile_aoti import Graph, libtorch_global  # noqa: E402
from export_aoti import (MANIFEST, MASKED, load_hf, materialize_synthetic, synthetic_names,  # noqa: E402
                         synthetic_target, target_plan)


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
    """A target's graphs over one persistent cache: the exported packages (Runner.exported) or, for a synthetic
    export, the same modules eager (Runner.synthetic)."""

    def __init__(self, manifest, stages, heads, capacity=256):
        self.m, self.stages, self.heads = manifest, stages, heads
        self.dev = manifest["device"]
        self.cache = torch.zeros(manifest["num_layers"], 2, manifest["kv_heads"], capacity, manifest["head_dim"],
                                 device=self.dev, dtype=getattr(torch, manifest["dtype"]))
        self.length = 0

    @staticmethod
    def manifest(outdir):
        with open(os.path.join(outdir, MANIFEST)) as f:
            return json.load(f)

    @classmethod
    def exported(cls, outdir):
        m = cls.manifest(outdir)
        libtorch_global()
        device = "cuda:0" if m["device"] == "cuda" else m["device"]

        def load(graph):
            g = Graph(os.path.join(outdir, graph["library"]), device)
            return lambda *inputs: g.run(list(inputs), torch.cuda.current_stream().cuda_stream if device != "cpu" else 0)
        return cls(m, [(s, load(s)) for s in m["stages"]], {h["kind"]: load(h) for h in m["heads"]})

    @classmethod
    def synthetic(cls, manifest, shape):
        """The export's stages (split where its manifest says) with an exit head, eager, with the weights the export
        made (seeded by name, so one model serves every stage)."""
        t = synthetic_target(shape, manifest["num_layers"])
        _, plan, head_plan, _ = target_plan(t, [s["end_layer"] for s in manifest["stages"][:-1]])
        names = synthetic_names(t, "target")
        device, dtype = manifest["device"], getattr(torch, manifest["dtype"])
        stages = [(s, materialize_synthetic(p[1], device, dtype, names)) for s, p in zip(manifest["stages"], plan)]
        heads = {"exit": materialize_synthetic(h[1], device, dtype, names) for h in head_plan}
        # eager has no window limit: the reference runs a prompt in one window, whatever the export's is
        return cls(dict(manifest, max_window=1 << 30), stages, heads)

    def run(self, tokens, parents, positions=None):
        """One window, or a chain (parents i - 1) longer than the export's window in chunks of it."""
        w, most = len(tokens), self.m["max_window"]
        if w > most:
            if parents != [i - 1 for i in range(w)] or positions is not None:
                raise ValueError(f"a tree of {w} rows does not fit a window of {most}")
            parts = [self.run(tokens[i:i + most], [-1] + list(range(min(most, w - i) - 1))) for i in range(0, w, most)]
            exits = {k: torch.cat([p[1][k] for p in parts]) for k in parts[0][1]}
            return torch.cat([p[0] for p in parts]), exits
        p = self.length
        if positions is None:
            positions = list(range(p, p + w))
        x = torch.tensor(tokens, device=self.dev)
        pos = torch.tensor(positions, device=self.dev)
        mask = tree_mask(parents, p, self.dev)
        idx = torch.arange(p, p + w, device=self.dev)
        exits = {}
        with torch.no_grad():
            for s, graph in self.stages:
                out = graph(x, pos, mask, idx, self.cache)
                named = dict(zip(s["outputs"], out))
                if "hidden" in named:
                    x = named["hidden"]
                    if "exit" in self.heads and s["end_layer"] < self.m["num_layers"]:
                        exits[s["end_layer"]] = self.heads["exit"](x)[0].float().cpu()
        self.length = p + w
        return named["logits"].float().cpu(), exits


class Comparison:
    """Logits of an export against a reference, check by check: the worst difference and which argmaxes differ."""

    def __init__(self, relative=False):
        self.relative = relative  # print the reference's own largest magnitude beside each difference
        self.worst = 0.0
        self.argmax_differs = []

    def report(self, what, got, want):
        d = (got - want).abs().max().item()
        self.worst = max(self.worst, d)
        same = bool((got.argmax(-1) == want.argmax(-1)).all())
        if not same:
            self.argmax_differs.append(what)
        scale = f" (of max |reference| {want.abs().max().item():.3g})" if self.relative else ""
        print(f"{what}: max |aoti - reference| = {d:.3g}{scale}; argmax equal {same}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("model", nargs="?", help="GGUF file or Hugging Face directory the export was made from")
    ap.add_argument("--synthetic", help="the shape a synthetic export was made of (llama-3-8b)")
    ap.add_argument("--tol", type=float, default=1e-3)
    args = ap.parse_args()
    if (args.model is None) == (args.synthetic is None):
        ap.error("give MODEL or --synthetic SHAPE")
    r = Runner.exported(args.outdir)
    vocab = r.m["vocab"]
    g = torch.Generator().manual_seed(7)
    prompt = torch.randint(3, vocab, (8,), generator=g).tolist()
    if args.synthetic:
        eager = Runner.synthetic(r.m, args.synthetic)

        def reference_logits(ids, layer=None):
            eager.length = 0
            logits, exits = eager.run(ids, [i - 1 for i in range(len(ids))])
            return logits if layer is None else exits[layer]
    else:
        hf = load_hf(args.model)

        def reference_logits(ids, layer=None):
            with torch.no_grad():
                out = hf(torch.tensor([ids]), output_hidden_states=layer is not None)
                if layer is None:
                    return out.logits[0]
                return hf.lm_head(hf.model.norm(out.hidden_states[layer]))[0]

    comparison = Comparison()
    report = comparison.report

    logits, exits = r.run(prompt, [i - 1 for i in range(len(prompt))])
    report("prefill", logits, reference_logits(prompt))
    for k, e in exits.items():
        report(f"prefill exit logits after layer {k}", e, reference_logits(prompt, k))
    nxt = int(logits[-1].argmax())
    logits, _ = r.run([nxt], [-1])
    report("decode step", logits[0], reference_logits(prompt + [nxt])[-1])
    tree = torch.randint(3, vocab, (6,), generator=g).tolist()
    parents = [-1, 0, 0, 1, 2, -1]
    if r.m["max_window"] < len(tree):
        print(f"tree window left out: the export's window is {r.m['max_window']} row(s)")
    else:
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
            report(f"tree row {row}", logits[row], reference_logits(ctx + path[::-1])[-1])
    worst, argmax_differs = comparison.worst, comparison.argmax_differs
    if not worst < args.tol:
        sys.exit(f"max difference {worst} exceeds {args.tol}")
    if argmax_differs:
        # informative, not a failure: in 16-bit logits exact ties are common, and within --tol an argmax may flip
        print(f"argmax differs (within the tolerance): {argmax_differs}")
    print("ok")


if __name__ == "__main__":
    main()
