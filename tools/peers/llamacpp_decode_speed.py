#!/usr/bin/env python3
"""Greedy decode speed of llama.cpp beside mirror-sd's java engine, on the same GGUF and threads, one
after the other in one run, so that the machine's load treats them alike.

For each thread count and pass: llama.cpp (llama-cpp-python, n_threads = n_threads_batch = T) decodes in
this process, then engine-java's bench DecodeSpeed (engines=java:cpu threads=T) runs on bin/mirror-sd's
jars. Both feed the same fixed 16-token prompt (DecodeSpeed's), then time --tokens one-token greedy steps
(argmax, then a one-token forward), after one unmeasured warm-up, median of --rounds. Prints one table
with the load average before each measurement.

With --prefill N, the time from an empty context to the first logits of an N-token prompt instead (the
16-token prompt repeated, as DecodeSpeed's prefill=N builds it; llama.cpp with its default batch of 512).

Usage (from the repository root; bin/mirror-sd --help builds the jars once):
    build/peers/llamacpp-venv/bin/python tools/peers/llamacpp_decode_speed.py --threads 1,2 --tokens 128
    build/peers/llamacpp-venv/bin/python tools/peers/llamacpp_decode_speed.py --threads 2 --prefill 5000
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import llama_cpp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# engine-java's bench/DecodeSpeed PROMPT
PROMPT = [1, 504, 3162, 282, 4235, 314, 253, 2358, 30, 216, 504, 3162, 282, 4235, 314, 253]
DEFAULT_GGUF = os.path.join(os.environ.get("MIRRORSD_MODELS", os.path.expanduser("~/.cache/mirror-sd")),
                            "SmolLM2-135M-Instruct.Q4_1.gguf")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gguf", default=DEFAULT_GGUF)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--passes", type=int, default=1, help="llama.cpp then java, this many times per thread count")
    p.add_argument("--prefill", type=int, default=0, help="time an N-token prompt's prefill instead of decoding")
    return p.parse_args()


def llamacpp_decode(llm, tokens):
    """Tokens/s of `tokens` greedy one-token steps after the prompt, as DecodeSpeed.decode times them."""
    llm.reset()
    llm.eval(PROMPT)
    n_vocab = llm.n_vocab()
    start = time.perf_counter()
    for _ in range(tokens):
        # the last row's logits where llama.cpp left them (Llama.eval keeps no copy without logits_all)
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))
        llm.eval([int(np.argmax(logits))])
    return tokens / (time.perf_counter() - start)


def llamacpp_speed(gguf, threads, tokens, rounds):
    llm = llama_cpp.Llama(model_path=gguf, n_ctx=len(PROMPT) + tokens + 16, n_threads=threads,
                          n_threads_batch=threads, verbose=False)
    llamacpp_decode(llm, tokens)  # warm-up: caches, thread pool
    speeds = [llamacpp_decode(llm, tokens) for _ in range(rounds)]
    del llm
    return statistics.median(speeds)


def prefill_prompt(n):
    return [PROMPT[i % len(PROMPT)] for i in range(n)]


def llamacpp_prefill(gguf, threads, n, rounds):
    """Seconds from an empty context to the last row's logits of an n-token prompt, median of rounds."""
    llm = llama_cpp.Llama(model_path=gguf, n_ctx=n + 16, n_threads=threads, n_threads_batch=threads, verbose=False)
    prompt = prefill_prompt(n)
    seconds = []
    for _ in range(rounds):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        seconds.append(time.perf_counter() - start)
    del llm
    return statistics.median(seconds)


def java_prefill(gguf, threads, n, rounds):
    """DecodeSpeed's prefill=n (one prefill after its decode rounds' warm-up)."""
    out = run_decode_speed(gguf, threads, ["tokens=16", "rounds=1", "window=2", f"prefill={n}"])
    row = re.search(r"prefill of \d+ tokens to the first logits: ([\d.]+) s", out)
    if not row:
        sys.exit(f"DecodeSpeed printed no prefill:\n{out}")
    return float(row.group(1))


def run_decode_speed(gguf, threads, extra):
    jar = os.path.join(ROOT, "cli", "target", "cli.jar")
    classpath = os.path.join(ROOT, "cli", "target", "classpath.txt")
    if not (os.path.isfile(jar) and os.path.isfile(classpath)):
        sys.exit("DecodeSpeed runs on mirror-sd's jars: run `bin/mirror-sd --help` once to build them")
    java_home = subprocess.run([os.path.join(ROOT, "scripts", "java-home.sh")], capture_output=True, text=True,
                               check=True).stdout.strip()
    with open(classpath) as f:
        cp = jar + ":" + f.read().strip()
    # the JVM flags bin/mirror-sd runs with
    result = subprocess.run([os.path.join(java_home, "bin", "java"), "--add-modules", "jdk.incubator.vector",
                             "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0", "-XX:+UseSerialGC", "-Xmx3g",
                             "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                             "-cp", cp, "dev.mirrorsd.engine.java.bench.DecodeSpeed", gguf, "engines=java:cpu",
                             f"threads={threads}"] + extra, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"DecodeSpeed failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def java_speed(gguf, threads, tokens, rounds):
    # window=2: DecodeSpeed also times a window pass per round; the shortest keeps that aside cheap
    out = run_decode_speed(gguf, threads, [f"tokens={tokens}", f"rounds={rounds}", "window=2"])
    row = re.search(r"^java:cpu\s+(\d+)\s+([\d.]+)", out, re.MULTILINE)
    if not row:
        sys.exit(f"DecodeSpeed printed no decode speed:\n{out}")
    return float(row.group(2))


def main():
    args = parse_args()
    if not os.path.isfile(args.gguf):
        sys.exit(f"no GGUF at {args.gguf} (scripts/fetch-models.sh fetches the default target)")
    threads = [int(t) for t in args.threads.split(",")]
    if args.prefill:
        what, unit = f"prefill of a {args.prefill}-token prompt, median of {args.rounds}", "s"
        measures = (("llama.cpp", lambda g, t: llamacpp_prefill(g, t, args.prefill, args.rounds)),
                    ("java:cpu", lambda g, t: java_prefill(g, t, args.prefill, args.rounds)))
    else:
        what, unit = (f"{args.tokens} greedy tokens after a {len(PROMPT)}-token prompt, median of {args.rounds}"
                      " after a warm-up"), "tokens/s"
        measures = (("llama.cpp", lambda g, t: llamacpp_speed(g, t, args.tokens, args.rounds)),
                    ("java:cpu", lambda g, t: java_speed(g, t, args.tokens, args.rounds)))
    print(f"{args.gguf}, {os.cpu_count()} cores, llama-cpp-python {llama_cpp.__version__}; {what}", file=sys.stderr)
    print(f"llama.cpp: {llama_cpp.llama_print_system_info().decode().strip()}", file=sys.stderr)
    rows = []
    for t in threads:
        for p in range(args.passes):
            for engine, measure in measures:
                load = os.getloadavg()[0]
                value = measure(args.gguf, t)
                rows.append((t, p, engine, value, load))
                print(f"  threads {t} pass {p + 1}: {engine} {value:.2f} {unit} (load average {load:.2f})",
                      file=sys.stderr)
    print(f"| threads | pass | llama.cpp {unit} | java:cpu {unit} | java / llama.cpp | load average (before each) |")
    print("|---|---|---|---|---|---|")
    for t in threads:
        for p in range(args.passes):
            ll = next(r for r in rows if r[:3] == (t, p, "llama.cpp"))
            jv = next(r for r in rows if r[:3] == (t, p, "java:cpu"))
            # for a time, java / llama.cpp above 1 means slower; for a speed, faster
            print(f"| {t} | {p + 1} | {ll[3]:.2f} | {jv[3]:.2f} | {jv[3] / ll[3]:.2f}x | {ll[4]:.2f} / {jv[4]:.2f} |")


if __name__ == "__main__":
    main()
