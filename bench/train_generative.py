"""Benchmark: training and generation throughput of the generative backend.

What is measured, and why
-------------------------
Queries are short (10–40 characters), so padding and per-step overhead, not FLOPs, limit
the generative model (../shared/STACK.md). For one model shape this prints:

* training, ``dynamic``: length-grouped batches padded to their own longest example (what
  ``train_model`` does); ``padded``: every batch padded to ``--pad-to`` tokens (the naive
  baseline) — samples/s, real (non-pad) tokens/s, peak memory;
* generation: queries/s and decoding steps/s of greedy ``generate`` on the test-like queries,
  ``plain`` (raw, validated afterwards) and ``constrained`` (the copy constraint's tensor
  masks), with the share of valid outputs, and the ratio constrained / plain of both;
  the constraint alone: ms per decoding step on random scores of the model's width.

Shapes: ``--size tiny`` (hidden 128, 2 layers, character vocabulary from the data; full
fine-tuning) or ``--size qwen2-0.5b`` (Qwen2-0.5B's shape with random weights: hidden 896,
24 layers, 14 heads, 2 KV heads; ``--vocab full`` pads the output layer to Qwen's 151,936
rows, ``data`` keeps the character vocabulary; LoRA r=8 on q_proj/v_proj). Weights are
random, so the numbers are throughput only, never quality. bf16 autocast on CUDA.

Data: ``--data train.jsonl`` (records, e.g. a ``nerloop generate`` split carried to a GPU
machine), or else ``nerloop generate -n 2000`` into a temporary directory.

Run from the repository root with the project venv::

    .venv/bin/python bench/train_generative.py --size tiny --steps 10          # CPU, seconds
    python bench/train_generative.py --size qwen2-0.5b --device cuda --batch-size 64
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nerloop.domain import load_domain  # noqa: E402
from nerloop.export import read_jsonl  # noqa: E402
from trainer.backends.generative.batching import Example, collate, length_grouped, weighted_loss  # noqa: E402
from trainer.backends.generative.codec import Codec, instruction  # noqa: E402
from trainer.backends.generative.constraint import CopyConstraint  # noqa: E402
from trainer.backends.generative.decode import generate  # noqa: E402
from trainer.backends.generative.model import Base, add_lora, tiny_base  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402

QWEN2_05B = {
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
}
QWEN_VOCAB = 151_936


def records(path: Path | None):
    if path is not None:
        return list(read_jsonl(path))
    out = Path(tempfile.mkdtemp(prefix="nerloop-bench-gen-")) / "data"
    subprocess.run(
        [sys.executable, "-m", "nerloop", "generate", "--out", str(out), "-n", "2000", "--seed", "0",
         "--reference-date", "2026-11-25"],
        check=True, capture_output=True, cwd=REPO,
    )  # fmt: skip
    return list(read_jsonl(out / "train.jsonl"))


def build(size: str, vocab: str, texts: list[str], style: str) -> Base:
    domain = load_domain()
    all_texts = [*texts, instruction(domain), "查询：标注："]
    base = tiny_base(domain, all_texts)
    if size == "tiny":
        return base
    from transformers import AutoModelForCausalLM, Qwen2Config

    rows = QWEN_VOCAB if vocab == "full" else len(base.tokenizer)
    config = Qwen2Config(vocab_size=rows, tie_word_embeddings=True, max_position_embeddings=2048, **QWEN2_05B)
    config.pad_token_id, config.eos_token_id = base.model.config.pad_token_id, base.model.config.eos_token_id
    model = AutoModelForCausalLM.from_config(config)
    return Base(model, base.tokenizer, None, None, [])


def peak_memory(device: torch.device) -> float:
    """Peak GiB: CUDA allocator peak, or the process's peak RSS on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def train_speed(model, examples, pad_id, args, device, width: int | None) -> dict:
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    lengths = [len(e.input_ids) for e in examples]
    import random

    batches = length_grouped(lengths, args.batch_size, random.Random(0)) if width is None else [
        list(range(i, i + args.batch_size)) for i in range(0, len(examples) - args.batch_size + 1, args.batch_size)
    ]  # fmt: skip
    batches = [b for b in batches if len(b) == args.batch_size]
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    model.train()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    samples = real = 0
    started = 0.0
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            started, samples, real = time.perf_counter(), 0, 0
        batch = collate([examples[i] for i in batches[step % len(batches)]], pad_id, width)
        batch = {k: v.to(device) for k, v in batch.items()}
        with autocast:
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            loss = weighted_loss(logits, batch["labels"], batch["weights"])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        samples += batch["input_ids"].shape[0]
        real += int(batch["attention_mask"].sum())
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elapsed = time.perf_counter() - started
    return {"samples_per_s": samples / elapsed, "tokens_per_s": real / elapsed, "peak_gib": peak_memory(device)}


def generation_speed(model, codec, texts, args, device, constrained: bool) -> dict:
    """Queries/s, and decoding steps/s (one forward pass each, counted by a hook).

    Steps/s is what compares the two modes' cost per step: queries/s also counts how many
    steps each takes (a random model rarely ends, so plain decoding runs to its budget while
    the constraint ends every row once its query is copied).
    """
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    steps = [0]
    hook = model.register_forward_hook(lambda *_: steps.__setitem__(0, steps[0] + 1))
    elapsed = float("inf")
    try:
        with autocast:
            generate(model, codec, texts[: args.gen_batch], constrained=constrained, batch_size=args.gen_batch)
            for _ in range(args.gen_repeats):  # the fastest run: a shared host's noise only slows
                steps[0] = 0
                started = time.perf_counter()
                preds = generate(model, codec, texts, constrained=constrained, batch_size=args.gen_batch)
                elapsed = min(elapsed, time.perf_counter() - started)
    finally:
        hook.remove()
    return {
        "queries_per_s": len(texts) / elapsed,
        "steps_per_s": steps[0] / elapsed,
        "valid": sum(not p.unparseable for p in preds) / len(preds),
    }


def constraint_speed(
    codec: Codec, texts: list[str], args: argparse.Namespace, device: torch.device, vocab: int
) -> dict:
    """The copy constraint alone: ms per step over one batch's whole decoding, random scores.

    The part of a constrained step that is not the model's forward pass; the fastest of
    ``--gen-repeats`` runs.
    """
    plans = [codec.plan(t) for t in texts[: args.gen_batch]]
    steps = 3 * max(len(p.ids) for p in plans) + 1
    generator = torch.Generator(device).manual_seed(0)
    scores = torch.randn((len(plans), vocab), generator=generator, device=device)
    best = float("inf")
    for _ in range(args.gen_repeats + 1):  # the first run warms up
        constraint = CopyConstraint(plans, codec, 1)
        ids = torch.zeros((len(plans), 1), dtype=torch.long, device=device)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        started = time.perf_counter()
        for _ in range(steps):
            ids = torch.cat([ids, constraint(ids, scores).argmax(-1, keepdim=True)], dim=1)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - started)
    return {"ms_per_step": best / steps * 1e3, "steps": steps, "columns": vocab}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=["tiny", "qwen2-0.5b"], default="tiny")
    parser.add_argument("--vocab", choices=["data", "full"], default="full", help="qwen2-0.5b output rows")
    parser.add_argument("--finetune", choices=["lora", "full"], help="default: full for tiny, LoRA r=8 otherwise")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--data", type=Path, help="records (JSONL); default: generate 2,000")
    parser.add_argument("--prompt", choices=["plain", "instruct"], help="default: plain for tiny, instruct otherwise")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--pad-to", type=int, default=0, help="padded baseline width (default: longest example)")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per mode")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--gen-queries", type=int, default=128)
    parser.add_argument("--gen-batch", type=int, default=32)
    parser.add_argument("--gen-repeats", type=int, default=3, help="timed generation runs (the fastest counts)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    data = records(args.data)
    style = args.prompt or ("plain" if args.size == "tiny" else "instruct")
    base = build(args.size, args.vocab, [r.text for r in data], style)
    finetune = args.finetune or ("full" if args.size == "tiny" else "lora")
    model = (
        add_lora(base, TrainConfig(backend="generative", lora_r=8, lora_alpha=16)) if finetune == "lora" else base.model
    )
    model.to(device)
    codec = Codec(base.tokenizer, load_domain(), style)
    examples = []
    for record in data:
        encoded = codec.example(record, 4096)
        if encoded:
            examples.append(Example(encoded[0], encoded[1], 1.0))
    width = args.pad_to or max(len(e.input_ids) for e in examples)
    texts = [r.text for r in data[: args.gen_queries]]
    results = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({args.threads} threads)",
        "size": args.size,
        "finetune": finetune,
        "vocab_rows": model.get_input_embeddings().num_embeddings,
        "prompt": style,
        "mean_tokens": sum(len(e.input_ids) for e in examples) / len(examples),
        "train_dynamic": train_speed(model, examples, codec.pad_id, args, device, None),
        "train_padded": train_speed(model, examples, codec.pad_id, args, device, width),
        "generate_plain": generation_speed(model, codec, texts, args, device, constrained=False),
        "generate_constrained": generation_speed(model, codec, texts, args, device, constrained=True),
        "constraint_alone": constraint_speed(codec, texts, args, device, model.get_input_embeddings().num_embeddings),
    }
    print(f"{results['size']} ({finetune}, {results['vocab_rows']} vocab rows, {style} prompt, "
          f"{results['mean_tokens']:.0f} tokens/example) on {results['device']}, batch {args.batch_size}")  # fmt: skip
    for mode in ("train_dynamic", "train_padded"):
        r = results[mode]
        print(f"  {mode:22} {r['samples_per_s']:9.1f} samples/s {r['tokens_per_s']:11.0f} real tokens/s"
              f"  peak {r['peak_gib']:.2f} GiB")  # fmt: skip
    for mode in ("generate_plain", "generate_constrained"):
        r = results[mode]
        print(f"  {mode:22} {r['queries_per_s']:9.1f} queries/s {r['steps_per_s']:7.1f} steps/s"
              f" (batch {args.gen_batch}, {r['valid']:.0%} valid)")  # fmt: skip
    plain, constrained = results["generate_plain"], results["generate_constrained"]
    results["constrained_over_plain"] = {
        "queries_per_s": constrained["queries_per_s"] / plain["queries_per_s"],
        "steps_per_s": constrained["steps_per_s"] / plain["steps_per_s"],
    }
    ratio = results["constrained_over_plain"]
    print(f"  constrained / plain     {ratio['queries_per_s']:.2f}x queries/s, {ratio['steps_per_s']:.2f}x steps/s"
          f" ({constrained['valid']:.0%} vs {plain['valid']:.0%} valid)")  # fmt: skip
    alone = results["constraint_alone"]
    print(f"  the constraint alone    {alone['ms_per_step']:.3f} ms/step ({alone['steps']} steps, batch"
          f" {args.gen_batch}, {alone['columns']} columns)")  # fmt: skip
    print(f"  padded width {width} tokens")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
