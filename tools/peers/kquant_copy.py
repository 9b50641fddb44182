#!/usr/bin/env python3
"""Writes copies of the default target in the GGUF types people download (Q4_K_M, Q5_K_M, Q6_K, Q4_0, Q8_0,
F16), with llama.cpp's own quantizer, for decode-speed runs of the java engine's kernels beside
llama.cpp (tools/peers/llamacpp_decode_speed.py --gguf COPY).

The default target ships as Q4_1, so each copy is requantized from it (llama.cpp widens Q4_1 to fp32
first): its weights carry Q4_1's rounding as well as their own. That is what a speed run needs, not a
model to ship. SmolLM2-135M's hidden size, 576, is not a multiple of the K-quants' 256-element
super-blocks, so llama.cpp falls back to Q5_0, Q5_1 or Q8_0 for the matrices whose rows are 576 wide;
the script prints each copy's tensor types.

Usage (from the repository root; tools/peers/llamacpp-venv.sh builds the venv):
    build/peers/llamacpp-venv/bin/python tools/peers/kquant_copy.py --types Q4_K_M,Q6_K --out build/peers
"""
import argparse
import collections
import os
import sys

import llama_cpp

from llamacpp_decode_speed import DEFAULT_GGUF

# llama.cpp's enum llama_ftype
FTYPES = {"F16": 1, "Q4_0": 2, "Q8_0": 7, "Q4_K_M": 15, "Q5_K_M": 17, "Q6_K": 18}


def tensor_types(path):
    """How many tensors of each type a GGUF holds (gguf-py's reader)."""
    import gguf
    counts = collections.Counter(t.tensor_type.name for t in gguf.GGUFReader(path).tensors)
    return dict(sorted(counts.items()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gguf", default=DEFAULT_GGUF)
    p.add_argument("--types", default="Q4_K_M,Q6_K")
    p.add_argument("--out", default="build/peers")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.basename(args.gguf).rsplit(".", 2)[0]
    for name in args.types.split(","):
        if name not in FTYPES:
            sys.exit(f"unknown type {name}; known: {', '.join(FTYPES)}")
        dst = os.path.join(args.out, f"{stem}.{name}.gguf")
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = FTYPES[name]
        params.allow_requantize = True
        params.nthread = os.cpu_count() or 1
        rc = llama_cpp.llama_model_quantize(args.gguf.encode(), dst.encode(), params)
        if rc != 0:
            sys.exit(f"llama_model_quantize returned {rc} for {name}")
        print(f"{dst}: {os.path.getsize(dst) / 1e6:.1f} MB, tensor types {tensor_types(dst)}")


if __name__ == "__main__":
    main()
