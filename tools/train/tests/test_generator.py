"""The static-cache Generator against Hugging Face generate on a tiny random Llama (GQA, left padding)."""
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from fd_data import Generator

EOS = 5


def tiny_llama(seed=0):
    torch.manual_seed(seed)
    c = LlamaConfig(vocab_size=97, hidden_size=48, intermediate_size=96, num_hidden_layers=3, num_attention_heads=6,
                    num_key_value_heads=2, max_position_embeddings=256, rope_theta=10000.0, tie_word_embeddings=True)
    m = LlamaForCausalLM(c).eval().requires_grad_(False)
    with torch.no_grad():  # make EOS likely enough that some rows finish early and the batch gets compacted
        m.model.embed_tokens.weight[EOS] *= 4.0
    return m


def hf_greedy(m, prompt, max_new):
    g = m.generate(input_ids=torch.tensor([prompt]), max_new_tokens=max_new, do_sample=False, eos_token_id=EOS,
                   pad_token_id=EOS)
    r = g[0, len(prompt):].tolist()
    return r[: r.index(EOS) + 1] if EOS in r else r


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_equals_hf_generate_on_a_left_padded_batch(seed):
    m = tiny_llama(seed)
    rng = torch.Generator().manual_seed(seed)
    prompts = [torch.randint(6, 97, (n,), generator=rng).tolist() for n in (1, 3, 7, 12, 12, 20)]
    got = Generator(m, EOS, batch=4).run(prompts, 40)
    want = [hf_greedy(m, p, 40) for p in prompts]
    assert got == want
    assert any(len(r) < 40 for r in want), "no row finished early: the compaction went untested"


@pytest.mark.parametrize("k", [1, 2, 1024])
def test_sampling_keeps_only_the_top_p_nucleus(k):
    """k < 2 holds less than top_p of the mass, so the rows take the full sort; k >= 2 holds the nucleus."""
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]).repeat(4000, 1))
    picks = Generator._pick(logits, True, 1.0, 0.7, k=k)
    counts = torch.bincount(picks, minlength=4).float() / picks.numel()
    assert counts[2] == 0 and counts[3] == 0
    assert abs(float(counts[0]) - 0.5 / 0.8) < 0.03
