#!/usr/bin/env python3
"""Decode speed on one GPU: Hugging Face transformers eager vs the AOTI graphs driven from Python.

    bench_hf.py MODEL.gguf REFERENCE.json [--aoti OUTDIR] [--tokens 256] [--out RESULT.json]
    bench_hf.py --synthetic llama-3-8b REFERENCE.json [--tokens 256] [--out RESULT.json]   # bfloat16, random weights

Greedy, batch 1, the first prompt of REFERENCE.json (tools/gpu/reference-smollm2.json), EOS ignored;
tokens/s counts decode steps after the prefill, timed after a warm-up with the device synchronised.
TF32 is off (float32 as the Java engines compute).
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_aoti import SHAPES, load_hf  # noqa: E402


def synthetic_hf(name):
    """transformers' Llama with random weights of a real shape, bfloat16, on the GPU (timing only)."""
    from transformers import LlamaConfig, LlamaForCausalLM
    s = SHAPES[name]
    cfg = LlamaConfig(vocab_size=s["vocab_size"], hidden_size=s["hidden_size"], intermediate_size=s["intermediate_size"],
                      num_hidden_layers=s["num_hidden_layers"], num_attention_heads=s["num_attention_heads"],
                      num_key_value_heads=s["num_key_value_heads"], head_dim=s["head_dim"], rms_norm_eps=s["rms_norm_eps"],
                      rope_theta=s["rope_theta"], max_position_embeddings=s["max_position_embeddings"],
                      tie_word_embeddings=s["tie_word_embeddings"], bos_token_id=1, eos_token_id=None)
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        m = LlamaForCausalLM(cfg)
    torch.set_default_dtype(torch.float32)
    return m.eval()


def hf_decode(model, prompt, tokens):
    ids = torch.tensor([prompt], device="cuda")
    kw = dict(max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False, pad_token_id=0)
    model.generate(ids, **dict(kw, max_new_tokens=8, min_new_tokens=8))  # warm-up
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.generate(ids, **dict(kw, max_new_tokens=1, min_new_tokens=1))
    torch.cuda.synchronize()
    prefill = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = model.generate(ids, **kw)
    torch.cuda.synchronize()
    total = time.perf_counter() - t0
    return (tokens - 1) / (total - prefill), out[0, len(prompt):].tolist()


def aoti_decode(outdir, prompt, tokens):
    from check_aoti import Runner
    r = Runner(outdir, capacity=len(prompt) + tokens + 16)
    logits, _ = r.run(prompt, [i - 1 for i in range(len(prompt))])
    nxt = int(logits[-1].argmax())
    for _ in range(8):  # warm-up
        logits, _ = r.run([nxt], [-1])
        nxt = int(logits[0].argmax())
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(tokens):
        logits, _ = r.run([nxt], [-1])
        nxt = int(logits[0].argmax())
    torch.cuda.synchronize()
    return tokens / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", help="GGUF file or HF directory, or with --synthetic the reference")
    ap.add_argument("reference", nargs="?")
    ap.add_argument("--synthetic", choices=sorted(SHAPES))
    ap.add_argument("--aoti")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    with open(args.reference or args.model) as f:
        ref = json.load(f)
    prompt = ref["prompts"][0]["ids"]
    result = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "tokens": args.tokens}
    if args.synthetic:
        result["model"] = args.synthetic + " (synthetic weights)"
        with torch.no_grad():
            tps, _ = hf_decode(synthetic_hf(args.synthetic), prompt, args.tokens)
        result["hf_eager_bfloat16_tokens_per_s"] = tps
        print(f"HF eager bfloat16, {args.synthetic} synthetic: {tps:.1f} tokens/s", flush=True)
        if args.out:
            with open(args.out, "w") as f:
                json.dump(result, f, indent=2)
        return
    hf = load_hf(args.model).to("cuda")
    hf.generation_config.eos_token_id = None
    tps, ids = hf_decode(hf, prompt, args.tokens)
    result["hf_eager_float32_tokens_per_s"] = tps
    result["hf_greedy_equals_cpu_reference_32"] = ids[:32] == ref["prompts"][0]["greedy"]
    print(f"HF eager float32: {tps:.1f} tokens/s; first 32 greedy tokens equal the CPU reference: "
          f"{result['hf_greedy_equals_cpu_reference_32']}", flush=True)
    hf = hf.to(torch.bfloat16)
    result["hf_eager_bfloat16_tokens_per_s"], _ = hf_decode(hf, prompt, args.tokens)
    print(f"HF eager bfloat16: {result['hf_eager_bfloat16_tokens_per_s']:.1f} tokens/s", flush=True)
    if args.aoti:
        result["aoti_python_loop_tokens_per_s"] = aoti_decode(args.aoti, prompt, args.tokens)
        print(f"AOTI graphs from Python: {result['aoti_python_loop_tokens_per_s']:.1f} tokens/s", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
