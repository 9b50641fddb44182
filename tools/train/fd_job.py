"""One resumable device job: Magpie data from the target, EAGLE-3 style training, tau evaluation, export.

  PYTHONPATH=tools/train python3 tools/train/fd_job.py --work /tmp/fd --out $OUT --budget 560 \
      --gen-seconds 220 --train-seconds-total 600 --specbench /path/question.jsonl

Everything lives under --work (data.pt, ckpt.pt, the Spec-Bench continuations), so a second call on the same
machine generates more, trains on, and evaluates again. Each call writes under --out: model.safetensors,
config.json, eval.json, job.log.
"""
import argparse
import copy
import json
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fd_data import Generator, OverlapIndex, chat_ids, corpus_users, load_corpus_prompts, magpie_round  # noqa: E402
from fd_draft import FeatureDraft, answer_token_counts, fresh_draft, make_config, vocabulary_cover  # noqa: E402
from fd_eval import tau_on  # noqa: E402
from fd_export import load as load_draft, reference, save  # noqa: E402
from fd_target import load_target, load_tokenizer  # noqa: E402
from fd_train import train  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--work", default="/tmp/fd")
ap.add_argument("--out", required=True)
ap.add_argument("--budget", type=float, default=560, help="seconds this call may take in all")
ap.add_argument("--gen-seconds", type=float, default=200, help="seconds of new data generation in this call")
ap.add_argument("--gen-round", type=int, default=4096, help="user turns sampled per generation round")
ap.add_argument("--gen-batch", type=int, default=1024)
ap.add_argument("--kv-gib", type=float, default=24, help="GPU memory for the generator's KV cache")
ap.add_argument("--corpus", default="", help="make_prompts.py's prompts.jsonl.gz: instruction prompts over passages")
ap.add_argument("--corpus-round", type=int, default=4096, help="corpus prompts added to each generation round")
ap.add_argument("--max-answer", type=int, default=320)
ap.add_argument("--train-seconds-total", type=float, default=600, help="the cosine schedule's length over all calls")
ap.add_argument("--eval-reserve", type=float, default=45)
ap.add_argument("--feature-layers", default="24")
ap.add_argument("--init-layer", type=int, default=24)
ap.add_argument("--init-from", default="", help="a draft directory (model.safetensors, config.json) to train on from, "
                "its draft vocabulary kept, instead of a new draft")
ap.add_argument("--K", type=int, default=4)
ap.add_argument("--lr", type=float, default=5e-4)
ap.add_argument("--token-budget", type=int, default=24000)
ap.add_argument("--log-every", type=int, default=50)
ap.add_argument("--ckpt-every", type=float, default=90)
ap.add_argument("--specbench", default="")
ap.add_argument("--specbench-n", type=int, default=40)
ap.add_argument("--heldout-n", type=int, default=100)
ap.add_argument("--name", default="fd-l24")
ap.add_argument("--seed", type=int, default=0, help="the generation's seed: a later stage passes a new one, so that its "
                "Magpie turns differ from the data an earlier stage trained on")
ap.add_argument("--target-bf16", action="store_true", help="the target's forward pass in training under bf16 autocast "
                "(features and soft labels at bf16 precision; the evaluation keeps fp32)")
ap.add_argument("--no-selftest", action="store_true", help="skip the few-second run of every stage at the start")
args = ap.parse_args()

T0 = time.time()
DEADLINE = T0 + args.budget
os.makedirs(args.work, exist_ok=True)
os.makedirs(args.out, exist_ok=True)
logf = open(os.path.join(args.out, "job.log"), "a")


def log(msg):
    line = f"[{time.time()-T0:6.1f}s] {msg}"
    print(line, flush=True)
    logf.write(line + "\n")
    logf.flush()


dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.backends.cuda.matmul.allow_tf32 = True
log(f"device {torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu'}; args {vars(args)}")
tok = load_tokenizer()
EOS = tok.convert_tokens_to_ids("<|im_end|>")
target = load_target(dev)
log("target loaded")
layers = [int(x) for x in args.feature_layers.split(",")]
data_path = os.path.join(args.work, "data.pt")
data = torch.load(data_path, weights_only=False) if os.path.exists(data_path) else \
    {"train": [], "heldout": [], "seen": set(), "stats": {}, "gen_s": 0.0, "rounds": 0}
log(f"data: {len(data['train'])} train chats, {sum(sum(s['mask']) for s in data['train'])/1e6:.2f}M answer tokens")


def selftest():
    """Every stage on a few tokens, so that a broken stage fails in seconds rather than after the generation."""
    import copy
    import tempfile
    t = time.time()
    g = Generator(target, EOS, batch=8, log=log)
    s = magpie_round(g, tok, 8, None, set(), random.Random(0), max_user=48, max_answer=12, two_turn_share=1.0)
    ids = chat_ids(tok, "Name three colours.")
    s.append({"ids": ids + [28, 29, 30, 31, 2], "mask": [0] * len(ids) + [1] * 5, "sampled": False, "turns": 1,
              "prompt_len": len(ids)})
    c = make_config([int(x) for x in args.feature_layers.split(",")])
    d = FeatureDraft(c, target.get_input_embeddings().weight.detach().float()).to(dev)
    o = torch.optim.AdamW(d.parameters(), lr=1e-4)
    a = copy.copy(args)
    a.train_seconds_total, a.log_every = 1.0, 1
    st = {"step": 0, "tokens": 0, "train_s": 0.0, "epoch": 0, "batch_in_epoch": 0}
    train(d, target, s, st, o, a, time.time() + 20, log, lambda: None)
    r = tau_on(d, target, [x["ids"] for x in s], [x["prompt_len"] for x in s])
    with tempfile.TemporaryDirectory() as td:
        save(d, td, {"selftest": True})
    log(f"selftest passed in {time.time()-t:.1f}s: {len(s)} chats, {st['step']} steps, tau {r['tau']:.2f}")


if not args.no_selftest:
    selftest()

# --- data --------------------------------------------------------------------------------------------------------
overlap = OverlapIndex.from_specbench(args.specbench) if args.specbench else None
if args.gen_seconds > 0:
    gm = copy.deepcopy(target).to(torch.bfloat16)
    gen = Generator(gm, EOS, batch=args.gen_batch, log=log, kv_bytes=int(args.kv_gib * (1 << 30)))
    corpus = load_corpus_prompts(args.corpus) if args.corpus else []
    rng = random.Random(1000 + 7919 * args.seed + data["rounds"])
    g0 = time.time()
    while time.time() - g0 < args.gen_seconds and time.time() < DEADLINE - 200:
        t = time.time()
        torch.manual_seed(data["rounds"] + 17 + 1000 * args.seed)
        pos = data.get("corpus_pos", 0)
        extra = corpus_users(gen, tok, corpus[pos:pos + args.corpus_round]) if corpus else []
        data["corpus_pos"] = pos + args.corpus_round
        s = magpie_round(gen, tok, args.gen_round, overlap, data["seen"], rng, max_answer=args.max_answer,
                         stats=data["stats"], extra_users=extra)
        if not data["heldout"]:
            ho = [x for x in s if not x["sampled"] and x["turns"] == 1][: args.heldout_n]
            data["heldout"] = ho
            s = [x for x in s if not any(x is h for h in ho)]
        data["train"].extend(s)
        data["rounds"] += 1
        data["gen_s"] += time.time() - t
        ntok = sum(sum(x["mask"]) for x in data["train"])
        log(f"round {data['rounds']}: +{len(s)} chats; total {len(data['train'])} chats, {ntok/1e6:.2f}M answer "
            f"tokens; filter stats {data['stats']}")
        torch.save(data, data_path)
    del gm, gen
    torch.cuda.empty_cache()
train_samples = data["train"]
n_answer = sum(sum(x["mask"]) for x in train_samples)

# --- draft --------------------------------------------------------------------------------------------------------
ckpt_path = os.path.join(args.work, f"ckpt-{args.name}.pt")
cfg = make_config(layers)
emb = target.get_input_embeddings().weight.detach().float()
ck = torch.load(ckpt_path, map_location=dev, weights_only=False) if os.path.exists(ckpt_path) else None


def load_init_from():
    """The --init-from draft on the device, reading the target's embedding."""
    d = load_draft(args.init_from, emb.cpu()).to(dev)
    d.set_embed(emb.to(dev))
    return d


if ck is not None:
    draft = FeatureDraft(cfg, emb).to(dev)
    draft.load_state_dict(ck["draft"], strict=True)
    state = ck["state"]
    log(f"resumed at step {state['step']}")
elif args.init_from:
    draft = load_init_from()
    if draft.c["feature_layers"] != layers:
        sys.exit(f"--init-from {args.init_from} reads layers {draft.c['feature_layers']}, not --feature-layers {layers}")
    cover = vocabulary_cover(draft.d2t, answer_token_counts(train_samples, cfg["target_vocab_size"]))
    log(f"initialized from {args.init_from}; its draft vocabulary covers {cover:.4f} of answer tokens")
    state = {"step": 0, "tokens": 0, "train_s": 0.0, "epoch": 0, "batch_in_epoch": 0, "d2t_cover": cover,
             "init_from": dict(json.load(open(os.path.join(args.init_from, "config.json"))).get("training") or {},
                               path=args.init_from)}
else:
    draft, cover = fresh_draft(layers, target, train_samples, EOS, args.init_layer, emb)
    log(f"d2t: draft vocabulary covers {cover:.4f} of answer tokens")
    state = {"step": 0, "tokens": 0, "train_s": 0.0, "epoch": 0, "batch_in_epoch": 0, "d2t_cover": cover}
opt = torch.optim.AdamW(draft.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
if ck is not None:
    opt.load_state_dict(ck["opt"])


def training_meta():
    return {"steps": state["step"], "train_seconds": round(state["train_s"], 1),
            "answer_tokens_seen": state["tokens"], "chats": len(train_samples), "answer_tokens": n_answer,
            "generation_seconds": round(data["gen_s"], 1), "K": args.K, "lr": args.lr,
            "token_budget": args.token_budget, "init_layer": args.init_layer, "d2t_cover": state.get("d2t_cover"),
            "continued_from": state.get("init_from"),
            "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"}


def ckpt():
    torch.save({"draft": draft.state_dict(), "opt": opt.state_dict(), "state": state, "config": cfg,
                "training": training_meta()}, ckpt_path)
    log(f"checkpoint at step {state['step']}")


if train_samples and args.train_seconds_total > 0:
    train(draft, target, train_samples, state, opt, args, DEADLINE - args.eval_reserve, log, ckpt)
    ckpt()
save(draft, args.out, training_meta())
log(f"exported to {args.out}")

# --- evaluation ---------------------------------------------------------------------------------------------------
draft.eval()
res = {"name": args.name, "feature_layers": layers, "training": training_meta(), "gamma": 4}
ho = data["heldout"]
if ho:
    res["heldout_chat"] = tau_on(draft, target, [x["ids"] for x in ho], [x["prompt_len"] for x in ho])
    log(f"held-out chats: {res['heldout_chat']}")
if args.specbench:
    sb_path = os.path.join(args.work, "specbench-greedy.pt")
    if os.path.exists(sb_path):
        sb = torch.load(sb_path, weights_only=False)
    else:
        qs = [json.loads(l) for l in open(args.specbench, encoding="utf-8") if l.strip()]
        step = max(1, len(qs) // args.specbench_n)
        qs = qs[::step][: args.specbench_n]
        prompts = [chat_ids(tok, q["turns"][0]) for q in qs]
        torch.backends.cuda.matmul.allow_tf32 = False
        cont = Generator(target, EOS, batch=64, log=log).run(prompts, 160, tag="spec-bench greedy fp32")
        torch.backends.cuda.matmul.allow_tf32 = True
        sb = {"ids": [p + c for p, c in zip(prompts, cont)], "starts": [len(p) for p in prompts],
              "qids": [q["question_id"] for q in qs]}
        torch.save(sb, sb_path)
    res["specbench"] = tau_on(draft, target, sb["ids"], sb["starts"])
    res["specbench"]["question_ids"] = sb["qids"]
    log(f"spec-bench: {res['specbench']}")
if args.init_from:  # the draft it started from, on the same held-out chats and questions
    base = load_init_from().eval()
    res["init_from"] = {"path": args.init_from}
    if ho:
        res["init_from"]["heldout_chat"] = tau_on(base, target, [x["ids"] for x in ho], [x["prompt_len"] for x in ho])
    if args.specbench:
        res["init_from"]["specbench"] = tau_on(base, target, sb["ids"], sb["starts"])
    log(f"the draft it started from: {res['init_from']}")
res["data_stats"] = data["stats"]
try:
    reference(args.out, str(dev), target=target, tok=tok)
    log("reference.json written (float32, no TF32)")
except Exception as e:  # the weights and the evaluation matter more; the reference can be redone on the CPU
    log(f"reference.json failed: {e!r}")
with open(os.path.join(args.out, "eval.json"), "w") as f:
    json.dump(res, f, indent=2)
log(f"done in {time.time()-T0:.0f}s")
