"""CPU checks of the feature draft's graph modules (feature_draft_graphs.py) on a tiny random draft against
fd_draft.DraftRunner, the incremental reference, and of the exported program's dynamic window: seconds, no compile.
The compiled graphs on the real draft: check_feature_draft.py."""
import json

import torch
from torch.export import Dim

from export_aoti import MANIFEST, MASKED, export_program, merge_manifests
from fd_draft import DraftRunner, FeatureDraft, make_config
from feature_draft_graphs import DraftFc, DraftStep, example_inputs, one_row

CAPACITY = 32


def tiny_draft(seed=0):
    torch.manual_seed(seed)
    c = make_config((3,), hidden_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                    intermediate_size=48, draft_vocab_size=40, target_vocab_size=64)
    d = FeatureDraft(c, torch.randn(64, 32))
    with torch.no_grad():
        for p in d.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    d.d2t.copy_(torch.sort(torch.randperm(64)[:40]).values.to(torch.int32))
    return d.eval()


def causal_mask(start, w):
    m = torch.zeros(w, start + w)
    m[:, start:] = torch.triu(torch.full((w, w), MASKED), 1)
    return m


def new_cache(c):
    return torch.zeros(1, 2, c["num_key_value_heads"], CAPACITY, c["head_dim"])


@torch.no_grad()
def test_prefill_window_and_chained_steps_equal_the_incremental_runner():
    d = tiny_draft()
    step, fc = DraftStep(d), DraftFc(d)
    runner, cache = DraftRunner(d), new_cache(d.c)
    P = 9
    tokens, feats = torch.randint(0, 64, (P,)), torch.randn(P, 32)
    u = fc(feats)[0]
    assert torch.allclose(u, d.project(feats), atol=1e-6)
    h = torch.cat([torch.zeros_like(u[:1]), u[:-1]])
    g_ref = runner._step(tokens, h, 0)
    g, logits = step(tokens, h, torch.arange(P), causal_mask(0, P), torch.arange(P), cache)
    assert torch.allclose(g, g_ref, atol=1e-5)
    assert torch.allclose(logits, d.logits(g_ref), atol=1e-4)
    chain = runner.chain(u[-1], 5, 4)
    h, token = u[-1:], 5
    for s, (_, top, want) in enumerate(chain):
        g, logits = step(torch.tensor([token]), h, torch.tensor([P + s]), torch.zeros(1, P + s + 1),
                         torch.tensor([P + s]), cache)
        assert torch.allclose(logits[0], want, atol=1e-4)
        h, token = g, top


@torch.no_grad()
def test_tree_window_rows_see_their_parents_and_not_their_siblings():
    d = tiny_draft(1)
    step, cache = DraftStep(d), new_cache(d.c)
    P = 5
    step(torch.randint(0, 64, (P,)), torch.randn(P, 32), torch.arange(P), causal_mask(0, P), torch.arange(P), cache)
    parents = [-1, 0, 0, 1, 2]
    depth = [0, 1, 1, 2, 2]
    tokens, h = torch.randint(0, 64, (5,)), torch.randn(5, 32)
    mask = torch.full((5, P + 5), MASKED)
    mask[:, :P] = 0
    for row in range(5):
        q = row
        while q >= 0:
            mask[row, P + q] = 0
            q = parents[q]
    _, tree = step(tokens, h, P + torch.tensor(depth), mask, P + torch.arange(5), cache.clone())
    for row in range(5):
        path, q = [], row
        while q >= 0:
            path.append(q)
            q = parents[q]
        one = cache.clone()
        for j, q in enumerate(reversed(path)):
            _, logits = step(tokens[q:q + 1], h[q:q + 1], torch.tensor([P + j]), torch.zeros(1, P + j + 1),
                             torch.tensor([P + j]), one)
        assert torch.allclose(tree[row], logits[0], atol=1e-4), row


@torch.no_grad()
def test_exported_step_keeps_window_attended_length_and_capacity_dynamic():
    d = tiny_draft(2)
    step = DraftStep(d)
    win, total, cap = Dim("window", min=1, max=16), Dim("attended", min=1, max=64), Dim("capacity", min=2, max=64)
    args = example_inputs(d.c, "cpu", torch.float32, 3)
    dynamic = ({0: win}, {0: win, 1: Dim.STATIC}, {0: win}, {0: win, 1: total}, {0: win},
               {0: Dim.STATIC, 1: Dim.STATIC, 2: Dim.STATIC, 3: cap, 4: Dim.STATIC})
    # export_aoti's export: on PyTorch 2.11 the declared window fails the shape solver and Dim.AUTO is taken
    exported = export_program(step, args, dynamic, one_row(args)).module()
    for w, past in ((1, 0), (5, 11)):
        cache_a, cache_b = new_cache(d.c), new_cache(d.c)
        inputs = (torch.randint(0, 64, (w,)), torch.randn(w, 32), torch.arange(past, past + w),
                  causal_mask(past, w), torch.arange(past, past + w))
        want = step(*inputs, cache_a)
        got = exported(*inputs, cache_b)
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(got, want))
        assert torch.equal(cache_a, cache_b), "the exported step must write the cache in place"


def test_merge_joins_the_feature_draft_part_manifests(tmp_path):
    def part(graphs, libraries):
        m = {"architecture": "feature-draft",
             "graphs": [{"graph": g, "library": libraries.get(g, f"{g}/MISSING")} for g in ("fc", "step")]}
        with open(tmp_path / (MANIFEST + "." + graphs), "w") as f:
            json.dump(m, f)
    part("fc", {"fc": "fc/a.so"})
    part("step", {"step": "step/b.so"})
    merge_manifests(str(tmp_path))
    with open(tmp_path / MANIFEST) as f:
        merged = json.load(f)
    assert [g["library"] for g in merged["graphs"]] == ["fc/a.so", "step/b.so"]
