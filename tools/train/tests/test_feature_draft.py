"""CPU checks of the feature draft: shapes, the export contract, the training-time-test unrolling against
incremental inference with a KV cache, d2t and the Spec-Bench overlap check. Tiny random weights, seconds."""
import json

import pytest
import torch

from fd_data import OverlapIndex
from fd_draft import CONTRACT, DraftRunner, FeatureDraft, build_d2t, make_config
from fd_eval import walk_tau
from fd_export import SHAPES, check_tensors, export_tensors, load, save
from fd_train import loss_rows, ttt_loss


def tiny(layers=(3,)):
    return make_config(layers, hidden_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                       intermediate_size=48, draft_vocab_size=40, target_vocab_size=64)


def tiny_draft(layers=(3,), seed=0):
    torch.manual_seed(seed)
    c = tiny(layers)
    d = FeatureDraft(c, torch.randn(c["target_vocab_size"], c["hidden_size"]))
    with torch.no_grad():
        for p in d.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    d.d2t.copy_(torch.sort(torch.randperm(64)[:40]).values.to(torch.int32))
    return d.eval()


def test_step_shapes():
    d = tiny_draft((1, 3))
    B, T = 2, 7
    tok = torch.randint(0, 64, (B, T))
    feats = torch.randn(B, T, 2 * 32)
    outs, tops = d.ttt(tok, feats, 3, greedy=True)
    assert len(outs) == 3 and len(tops) == 3
    assert outs[0].shape == (B, T, 40)
    assert tops[0].shape == (B, T)
    assert set(tops[0].flatten().tolist()) <= set(d.d2t.tolist())


def test_contract_names_shapes_and_dtypes_at_full_size():
    c = make_config([24])
    d = FeatureDraft(c)
    t = export_tensors(d)
    check_tensors(t, c)
    assert list(t["fc.weight"].shape) == [576, 576]
    assert list(t["layer.self_attn.q_proj.weight"].shape) == [576, 1152]
    assert list(t["layer.self_attn.k_proj.weight"].shape) == [192, 1152]
    assert list(t["layer.mlp.down_proj.weight"].shape) == [576, 1536]
    assert t["d2t"].dtype == torch.int32 and t["d2t"].shape == (16384,)
    assert set(t) == set(SHAPES)
    c2 = make_config([12, 24])
    assert list(export_tensors(FeatureDraft(c2))["fc.weight"].shape) == [576, 1152]


def test_check_tensors_rejects_a_wrong_name_and_shape():
    c = make_config([24])
    t = export_tensors(FeatureDraft(c))
    bad = dict(t)
    bad["fc.bias"] = torch.zeros(576, dtype=torch.float16)
    with pytest.raises(ValueError, match="extra"):
        check_tensors(bad, c)
    bad = dict(t)
    bad["norm.weight"] = torch.zeros(575, dtype=torch.float16)
    with pytest.raises(ValueError, match="norm.weight"):
        check_tensors(bad, c)


def test_save_and_load_round_trip(tmp_path):
    d = tiny_draft()
    save(d, str(tmp_path), {"steps": 1})
    cfg = json.load(open(tmp_path / "config.json"))
    assert cfg["architecture"] == "feature-draft" and cfg["training"] == {"steps": 1}
    for k in CONTRACT:
        assert k in cfg
    d2 = load(str(tmp_path), d.embed)
    assert torch.equal(d2.d2t, d.d2t)
    assert torch.allclose(d2.fc.weight, d.fc.weight.half().float())


@pytest.mark.parametrize("start", [1, 4, 6])
def test_ttt_greedy_rows_equal_incremental_inference(start):
    """Step k's row s+k-1 of the parallel unrolling is what a KV-cached runtime drafts in the round starting at s."""
    d = tiny_draft((1, 3), seed=start)
    T, K = 11, 4
    tok = torch.randint(0, 64, (1, T))
    feats = torch.randn(1, T, 64)
    outs, tops = d.ttt(tok, feats, K, greedy=True)
    r = DraftRunner(d)
    u = r.prefill(tok[0, :start], feats[0, :start])
    chain = r.chain(u, int(tok[0, start]), K)
    for k in range(K):
        if start + k >= T:
            break
        assert chain[k][1] == int(tops[k][0, start + k])
        assert torch.allclose(chain[k][2], outs[k][0, start + k], atol=1e-4)


def test_ttt_teacher_step1_is_causal_and_step2_reads_its_own_g():
    d = tiny_draft()
    T = 9
    tok = torch.randint(0, 64, (1, T))
    feats = torch.randn(1, T, 32)
    a, _ = d.ttt(tok, feats, 2)
    feats2 = feats.clone()
    feats2[0, 6:] += 1.0  # features at 6.. reach rows 7.. of step 1 and rows 8.. of step 2 (through g at 7)
    b, _ = d.ttt(tok, feats2, 2)
    assert torch.allclose(a[0][0, :7], b[0][0, :7], atol=1e-5)
    assert not torch.allclose(a[0][0, 7], b[0][0, 7], atol=1e-5)
    assert torch.allclose(a[1][0, :8], b[1][0, :8], atol=1e-5)
    assert not torch.allclose(a[1][0, 8], b[1][0, 8], atol=1e-5)


def test_ttt_loss_decreases_with_a_few_steps():
    d = tiny_draft()
    d.train()
    tok = torch.randint(0, 64, (2, 10))
    feats = torch.randn(2, 10, 32)
    mask = torch.zeros(2, 10, dtype=torch.long)
    mask[:, 4:] = 1
    rows = loss_rows(mask)
    assert rows.sum() == 2 * 6  # rows 3..8: their next token is an answer token
    tl = torch.randn(int(rows.sum()), 40) * 3
    opt = torch.optim.Adam(d.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        loss, st = ttt_loss(d, tok, feats, rows, tl, 3)
        assert len(st) == 3
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first


def test_build_d2t_keeps_the_most_frequent_sorted():
    counts = torch.zeros(10)
    counts[7], counts[2], counts[5], counts[9] = 50, 40, 40, 1
    d2t = build_d2t(counts, 3, 10)
    assert d2t.dtype == torch.int32
    assert d2t.tolist() == [2, 5, 7]
    assert build_d2t(counts, 3, 10, must=[0]).tolist() == [0, 2, 7]
    with pytest.raises(ValueError):
        build_d2t(counts, 3, 11)


def test_walk_tau_counts_accepted_plus_one():
    seq = list(range(20))
    gamma = 3
    # preds[k][s+k] predicts seq[s+k+1]; all right from 5 on, all wrong before
    preds = [[(i + 1) if i >= 5 else -1 for i in range(20)] for _ in range(gamma)]
    rounds = walk_tau(seq, 4, preds, gamma)
    assert rounds[0] == 1  # round at 4: step 1 row 4 wrong
    assert rounds[1:] == [4] * len(rounds[1:])


def test_overlap_index_finds_a_shared_13_gram_only():
    q = "Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural experiences."
    idx = OverlapIndex([q], n=13)
    assert idx.hits("Please compose an engaging travel blog post about a recent trip to Hawaii highlighting cultural things")
    assert not idx.hits("Compose an engaging travel blog post about a recent trip to Iceland, highlighting food.")


def test_features_and_logits_equal_the_full_forward_at_the_rows_and_d2t():
    from transformers import LlamaConfig, LlamaForCausalLM
    from fd_target import features_and_logits
    torch.manual_seed(1)
    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=4,
                      num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    target = LlamaForCausalLM(cfg).eval()
    ids = torch.randint(0, 64, (2, 9))
    am = torch.ones_like(ids)
    am[1, 6:] = 0
    rows = torch.zeros(2, 9, dtype=torch.bool)
    rows[0, 3:8] = True
    rows[1, 2:5] = True
    d2t = torch.sort(torch.randperm(64)[:40]).values.to(torch.int32)
    feats, lg = features_and_logits(target, ids, am, [1, 3], rows, d2t)
    with torch.no_grad():
        full = target(input_ids=ids, attention_mask=am, output_hidden_states=True)
    want = torch.cat([full.hidden_states[1], full.hidden_states[3]], -1)
    torch.testing.assert_close(feats, want)
    torch.testing.assert_close(lg, full.logits[rows][:, d2t.long()], rtol=1e-5, atol=1e-5)
