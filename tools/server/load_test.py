#!/usr/bin/env python3
"""Load test of `mirror-sd serve`: CLIENTS concurrent streaming clients x ROUNDS greedy chat requests
on loopback. Checks that every answer equals the same request run alone, and that the server's native
memory (its live native arrays, and its RSS) is back where it was once the load is gone; prints time
to first token and inter-chunk latency percentiles as the clients saw them. A bounded measurement,
not a pass/fail timing: it fails only on a wrong answer, an error, or native arrays left open.

Usage (in a venv with openai, e.g. build/openai-venv from .ci/run):
    tools/server/load_test.py [--clients 64] [--rounds 3] [--max-tokens 8] [--strategy prompt-lookup] [--plan P]
"""
import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from openai import AsyncOpenAI

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ["What is the capital of France?", "Name three primary colours.", "Write a haiku about the sea.",
           "Explain photosynthesis in one sentence.", "List four prime numbers.", "What does a compiler do?",
           "Give me a synonym for happy.", "Why is the sky blue?", "How many legs does a spider have?",
           "What is 12 times 12?", "Name a famous painter.", "What language is spoken in Brazil?",
           "Describe a cat in five words.", "What is the boiling point of water?", "Who wrote Hamlet?",
           "Suggest a name for a dog."]


def start_server(args):
    cmd = [str(ROOT / "bin" / "mirror-sd"), "serve", "--port", "0", "--strategy", args.strategy,
           "--served-model-name", "m", "--max-concurrent", str(args.max_concurrent),
           "--max-queued", str(args.clients)] + (["--plan", args.plan] if args.plan else [])
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        found = re.search(r"serving .* on (http://\S+)", line)
        if found:
            return proc, found.group(1)
    sys.exit("mirror-sd serve did not start")


def metric(url, name):
    text = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
    found = re.search("^" + re.escape(name) + r"\{[^}]*\} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def one(client, prompt, max_tokens, ttft, itl):
    """One greedy streaming chat; the text, with the client's time to first text and between texts."""
    start = time.perf_counter()
    last, parts = None, []
    stream = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}],
                                                  max_tokens=max_tokens, temperature=0, stream=True)
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            now = time.perf_counter()
            if last is None:
                ttft.append(now - start)
            else:
                itl.append(now - last)
            last = now
            parts.append(chunk.choices[0].delta.content)
    return "".join(parts)


def pct(values, p):
    ordered = sorted(values)
    return ordered[max(0, -(-p * len(ordered) // 100) - 1)] * 1000 if ordered else float("nan")


def row(name, values):
    return f"| {name} | {len(values)} | {pct(values, 50):.1f} | {pct(values, 90):.1f} | {pct(values, 99):.1f} |"


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--strategy", default="prompt-lookup")
    parser.add_argument("--max-concurrent", type=int, default=1)
    parser.add_argument("--plan", help="the server's device plan (default: its own)")
    args = parser.parse_args()
    proc, url = start_server(args)
    try:
        client = AsyncOpenAI(base_url=url + "/v1", api_key="none", max_retries=0, timeout=3600)
        # each distinct request alone, one after the other: the reference answers and the idle latencies
        alone_ttft, alone_itl, reference = [], [], {}
        for prompt in PROMPTS:
            reference[prompt] = await one(client, prompt, args.max_tokens, alone_ttft, alone_itl)
        idle_arrays, idle_rss = metric(url, "mirror_sd:native_arrays_live"), rss_kib(proc.pid)

        load_ttft, load_itl, wrong = [], [], []

        async def user(i):
            for r in range(args.rounds):
                prompt = PROMPTS[(i + r) % len(PROMPTS)]
                text = await one(client, prompt, args.max_tokens, load_ttft, load_itl)
                if text != reference[prompt]:
                    wrong.append((prompt, text, reference[prompt]))

        start = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(args.clients)))
        wall = time.perf_counter() - start
        while metric(url, "mirror_sd:requests_in_flight") > 0:
            await asyncio.sleep(0.05)
        arrays, rss = metric(url, "mirror_sd:native_arrays_live"), rss_kib(proc.pid)

        total = args.clients * args.rounds
        print(f"{args.clients} clients x {args.rounds} requests = {total} streaming greedy chats, max_tokens "
              f"{args.max_tokens}, {args.strategy}, --max-concurrent {args.max_concurrent}, plan {args.plan}: {wall:.1f} s, "
              f"{total / wall:.2f} requests/s")
        print(f"answers equal to the request run alone: {total - len(wrong)}/{total}")
        print(f"native arrays live: {idle_arrays:.0f} idle before, {arrays:.0f} after; "
              f"RSS {idle_rss / 1024:.0f} MiB before, {rss / 1024:.0f} MiB after")
        print("| client-side latency | samples | p50 (ms) | p90 (ms) | p99 (ms) |")
        print("|---|---|---|---|---|")
        print(row("time to first token, alone", alone_ttft))
        print(row(f"time to first token, {args.clients} clients", load_ttft))
        print(row("between text chunks, alone", alone_itl))
        print(row(f"between text chunks, {args.clients} clients", load_itl))
        for prompt, got, want in wrong[:5]:
            print(f"MISMATCH {prompt!r}: {got!r} != {want!r}")
        if wrong or arrays != idle_arrays:
            sys.exit(1)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    asyncio.run(main())
