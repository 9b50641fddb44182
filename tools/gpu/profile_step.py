#!/usr/bin/env python3
"""Where a one-row decode step spends its GPU time, for a synthetic shape (timing only):

    profile_step.py --synthetic llama-3-8b --layers 4 --variants eager,inductor,inductor-autotune

The step is export_aoti.py's CachedLayers over the first --layers layers (window W = 1, attended
width --attended, a max-context cache), run
  eager              as PyTorch runs the module (cuBLAS for the matmuls)
  inductor           compiled by Inductor for this static shape
  inductor-autotune  the same with max-autotune (GEMM choices timed on this GPU)
  inductor-triton    max-autotune with Triton GEMMs only (no cuBLAS in the step)
(q/k/v and gate/up fused, as the export builds them). Each is timed by CUDA-graph replay (no launch
cost) and broken down by kernel (torch.profiler, no graph), with the weight bytes a step reads over
its time as the effective bandwidth. Prints one JSON line a variant.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_aoti import CachedLayers, SHAPES, materialize_synthetic, synthetic_names, synthetic_target  # noqa: E402
from profile_aoti import kernels  # noqa: E402


def step_inputs(c, layers, attended, capacity, device, dtype):
    x = torch.randn(1, c["hidden_size"], device=device, dtype=dtype)
    positions = torch.tensor([attended - 1], device=device)
    mask = torch.zeros(1, attended, device=device)
    write_index = torch.tensor([attended - 1], device=device)
    cache = torch.zeros(layers, 2, c["num_key_value_heads"], capacity, c["head_dim"], device=device, dtype=dtype)
    return (x, positions, mask, write_index, cache)


def compiled(module, variant):
    if variant == "eager":
        return module
    # Inductor as torch.compile runs it: the kernels AOTInductor would compile for a static
    # one-row step (profile_aoti.py times an export's own libraries)
    if variant == "inductor-triton":
        options = {"max_autotune": True, "max_autotune_gemm_backends": "TRITON"}
        return torch.compile(module, dynamic=False, options=options, fullgraph=True)
    mode = {"inductor": None, "inductor-autotune": "max-autotune-no-cudagraphs"}[variant]
    return torch.compile(module, dynamic=False, mode=mode, fullgraph=True)


def time_graph(fn, args, replays):
    for _ in range(3):
        fn(*args)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g, capture_error_mode="relaxed"):
        fn(*args)
    g.replay()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(replays):
        g.replay()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / replays


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--synthetic", default="llama-3-8b", choices=sorted(SHAPES))
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--attended", type=int, default=128)
    ap.add_argument("--capacity", type=int, default=1024)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--variants", default="eager,inductor,inductor-autotune")
    ap.add_argument("--replays", type=int, default=50)
    ap.add_argument("--top", type=int, default=8)
    a = ap.parse_args()
    dtype, device = getattr(torch, a.dtype), "cuda"
    t = synthetic_target(a.synthetic)
    c = t.c
    module = CachedLayers(c, list(t.model.layers)[: a.layers], 0)
    module = materialize_synthetic(module, device, dtype, synthetic_names(module, "target")).eval()
    # the fused weights hold what q/k/v and gate/up held: the bytes a one-row step reads
    weight_bytes = sum(p.numel() for p in module.parameters()) * torch.finfo(dtype).bits // 8
    args = step_inputs(c, a.layers, a.attended, a.capacity, device, dtype)
    for variant in a.variants.split(","):
        try:
            with torch.no_grad():
                fn = compiled(module, variant)
                fn(*args)  # compiles (and autotunes) outside the profile
                _, top = kernels(lambda: fn(*args), 5, a.top)
                ms = time_graph(fn, args, a.replays)
        except Exception as e:  # one variant failing leaves the others to run
            print(json.dumps({"variant": variant, "error": repr(e)[:500]}), flush=True)
            continue
        print(json.dumps({"variant": variant, "layers": a.layers, "ms_per_step": round(ms, 4),
                          "ms_per_layer": round(ms / a.layers, 4),
                          "weight_GB_per_s": round(weight_bytes / ms / 1e6, 1), "top_kernels": top}), flush=True)


if __name__ == "__main__":
    main()
