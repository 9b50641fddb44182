#!/usr/bin/env python3
"""Checks a feature-draft export (export_aoti.py --feature-draft) against tools/train/fd_draft.py's DraftRunner, the
incremental reference, on the real draft fed the target's real features.

    check_feature_draft.py OUTDIR --draft models/feature-draft --target MODEL.gguf [--tol 1e-3]

Loads OUTDIR's libraries as the Java engine does (their C entry points, as check_aoti.py does) and runs them over
one persistent cache:
  prefill  a chat prompt with the float32 target's features (hidden_states[l] for the manifest's feature_layers)
           through fc, in windows of max_window rows, against DraftRunner's prefill of the whole prompt: every row
  chain    4 chained one-row steps from the draft's own g (step 1: the target's first answer token and fc of the
           last prompt feature; then the reference's top-1), against DraftRunner.chain
  tree     one window whose rows attend to their parent chain and not to their siblings (through the mask),
           against DraftRunner run down each row's path one row at a time, and against the export run so
Exits non-zero unless every max |logit difference| is below --tol (float32 on the CPU: 1e-3).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from check_aoti import Comparison, tree_mask  # noqa: E402
from common import chat_ids  # noqa: E402
from export_aoti import MANIFEST, MASKED, load_hf  # noqa: E402
from fd_draft import DraftRunner  # noqa: E402
from fd_export import REFERENCE_PROMPTS  # noqa: E402
from feature_draft_graphs import load  # noqa: E402
from profile_aoti import Graph, libtorch_global  # noqa: E402

CHAIN_STEPS = 4


class ExportedDraft:
    """An export's fc and step graphs over one persistent cache, as the Java engine drives them."""

    def __init__(self, outdir, capacity):
        with open(os.path.join(outdir, MANIFEST)) as f:
            self.m = json.load(f)
        libtorch_global()
        self.device = "cuda:0" if self.m["device"] == "cuda" else self.m["device"]
        self.graphs = {g["graph"]: Graph(os.path.join(outdir, g["library"]), self.device) for g in self.m["graphs"]}
        # (1, 2, kv_heads, capacity, head_dim): slot c of keys (RoPE applied) and values
        self.cache = torch.zeros(1, 2, self.m["kv_heads"], capacity, self.m["head_dim"], device=self.device,
                                 dtype=getattr(torch, self.m["dtype"]))

    def fc(self, features):
        """features float32 (N, k*hidden) -> (N, hidden), in windows of max_window rows."""
        stream = torch.cuda.current_stream().cuda_stream if self.device != "cpu" else 0
        w = self.m["max_window"]
        return torch.cat([self.graphs["fc"].run([features[i:i + w].to(self.device)], stream)[0].cpu()
                          for i in range(0, features.shape[0], w)])

    def step(self, tokens, h, positions, mask, write_index):
        """One window: tokens (W), h (W, hidden), positions (W), mask (W, T), write_index (W) -> g, logits."""
        stream = torch.cuda.current_stream().cuda_stream if self.device != "cpu" else 0
        inputs = [torch.as_tensor(v).to(self.device) for v in (tokens, h, positions, mask, write_index)]
        g, logits = self.graphs["step"].run(inputs + [self.cache], stream)
        return g.cpu(), logits.cpu()

    def causal(self, tokens, h, start):
        """Rows start.. as a causal chain written at slots start.., in windows of max_window rows."""
        w, gs, ls = self.m["max_window"], [], []
        for a in range(0, len(tokens), w):
            b = min(a + w, len(tokens))
            n = b - a
            mask = torch.zeros(n, start + b)
            mask[:, start + a:] = torch.triu(torch.full((n, n), MASKED), 1)
            rows = list(range(start + a, start + b))
            g, logits = self.step(tokens[a:b], h[a:b], rows, mask, rows)
            gs.append(g)
            ls.append(logits)
        return torch.cat(gs), torch.cat(ls)


def path_of(row, parents):
    """The rows from row's root down to row."""
    path = []
    while row >= 0:
        path.append(row)
        row = parents[row]
    return path[::-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--draft", default="models/feature-draft", help="the draft's folder the export was made from")
    ap.add_argument("--target", required=True, help="the target (GGUF or HF dir) the export took its embedding from")
    ap.add_argument("--tol", type=float, default=1e-3)
    args = ap.parse_args()
    torch.manual_seed(0)
    hf = load_hf(args.target)
    draft = load(args.draft, hf.model.embed_tokens.weight)
    runner = DraftRunner(draft)
    x = ExportedDraft(args.outdir, capacity=256)
    layers = x.m["feature_layers"]
    if layers != draft.c["feature_layers"] or x.m["d2t"] != draft.d2t.tolist():
        sys.exit("the export's feature layers or d2t differ from the draft's")
    from transformers import AutoTokenizer
    path = os.path.abspath(args.target)
    tok = (AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
           if os.path.isfile(path) else AutoTokenizer.from_pretrained(path))
    ids = chat_ids(tok, REFERENCE_PROMPTS[0])
    with torch.no_grad():
        out = hf(input_ids=torch.tensor([ids]), output_hidden_states=True)
    feats = torch.cat([out.hidden_states[l][0].float() for l in layers], -1)
    first = int(out.logits[0, -1].argmax())
    P = len(ids)
    print(f"prompt of {P} tokens, window {x.m['max_window']}, target's first answer token {first}", flush=True)

    comparison = Comparison(relative=True)
    report, argmax_differs = comparison.report, comparison.argmax_differs

    # prefill: the entry at position i reads token i and the feature at i-1 (position 0: a zero feature)
    with torch.no_grad():
        u_ref = draft.project(feats)
    u = x.fc(feats)
    # the target's residual stream has outliers in the ten thousands: fc is held to the tolerance relative to them
    fc_error, fc_scale = (u - u_ref).abs().max().item(), u_ref.abs().max().item()
    print(f"fc: max |aoti - reference| = {fc_error:.3g} of max |reference| {fc_scale:.3g}", flush=True)
    if not fc_error < args.tol * fc_scale:
        sys.exit(f"fc differs by {fc_error}, more than {args.tol} of {fc_scale}")
    shift = lambda v: torch.cat([torch.zeros_like(v[:1]), v[:-1]])  # noqa: E731
    g_ref = runner._step(torch.tensor(ids), shift(u_ref), 0)  # DraftRunner.prefill, keeping every row's g
    _, logits = x.causal(ids, shift(u), 0)
    with torch.no_grad():
        report(f"prefill, {P} rows", logits, draft.logits(g_ref))

    # chain: each step one row at position P + s, seeing every slot before it and itself
    chain = runner.chain(u_ref[-1], first, CHAIN_STEPS)
    h, token, chain_g = u[-1:], first, []
    for s, (_, top, want) in enumerate(chain):
        g, logits = x.step([token], h, [P + s], torch.zeros(1, P + s + 1), [P + s])
        report(f"chain step {s + 1}", logits[0], want)
        h, token = g, top
        chain_g.append(g[0])
    shipped = os.path.join(args.draft, "reference.json")
    if os.path.exists(shipped):
        with open(shipped) as f:
            want = json.load(f)["prompts"][0]
        same = want["prompt_ids"] == ids and want["top1_id"] == [c[1] for c in chain]
        print(f"chain's top-1 ids {[c[1] for c in chain]}, the draft's reference.json {want['top1_id']}: "
              f"{'equal' if same else 'DIFFERENT'}", flush=True)
        if not same:
            argmax_differs.append("reference.json's chain")

    # tree: rows at slots P + row and positions P + depth; roots (-1) attend the prompt only
    parents = [-1, 0, 0, 1, 2, -1]
    tree_tokens = [first, chain[0][1], int(draft.d2t[7]), chain[1][1], int(draft.d2t[99]), int(draft.d2t[1234])]
    tree_h = torch.stack([u[-1], chain_g[0], chain_g[0], chain_g[1], chain_g[1] * 0.5, u[-2]])
    depth = [len(path_of(r, parents)) - 1 for r in range(len(parents))]
    if x.m["max_window"] < len(parents):
        print(f"tree window left out: the export's window is {x.m['max_window']} row(s)")
    else:
        _, tree_logits = x.step(tree_tokens, tree_h, [P + d for d in depth], tree_mask(parents, P, "cpu"),
                                list(range(P, P + len(parents))))
        for row in range(len(parents)):
            rows = path_of(row, parents)
            # the reference down the path, one row at a time
            for j, q in enumerate(rows):
                g = runner._step(torch.tensor([tree_tokens[q]]), tree_h[q:q + 1], P + j)
            with torch.no_grad():
                report(f"tree row {row} vs DraftRunner", tree_logits[row], draft.logits(g)[0])
            # the export down the path, one row at a time (slots P + depth, overwriting the window's)
            for j, q in enumerate(rows):
                _, one = x.step([tree_tokens[q]], tree_h[q:q + 1], [P + j], torch.zeros(1, P + j + 1), [P + j])
            report(f"tree row {row} vs the export one row at a time", tree_logits[row], one[0])
    worst = comparison.worst
    if not worst < args.tol:
        sys.exit(f"max difference {worst} exceeds {args.tol}")
    if argmax_differs:
        sys.exit(f"argmax differs: {argmax_differs}")
    print(f"ok: max |logit difference| {worst:.3g} < {args.tol}")


if __name__ == "__main__":
    main()
