"""The measurement grid: which runs, in which order. The most informative runs come first, so that a
run cut short by its time budget still covers every kind of model (dense, sliding window, MoE, MLA)
and both tasks; larger and repetitive runs come last.

Inference: bf16 weights, prefill (one forward, last-token logits) and generate() (16 new tokens) at
batch 1/8/32 and prompts of 512/4k/32k tokens, SDPA, plus eager attention at two points. Training:
full fine-tuning with AdamW on models up to 3B (fp32 weights + bf16 autocast, as the HF Trainer's
bf16=True, and pure bf16), LoRA r16 on q/k/v/o with gradient checkpointing on 7-9B, at lengths that
approach the card. Sizes that exceed the card are kept on purpose: out-of-memory is a result.
"""

from __future__ import annotations

import dataclasses

from measure import Run, Train

GiB = 2**30
NEW = 16  # generate()'s new tokens


def inference(model: str, big: bool = True) -> list[Run]:
    runs = [
        Run(model, "prefill", 1, 512),
        Run(model, "prefill", 1, 4096),
        Run(model, "prefill", 8, 4096),
        Run(model, "prefill", 1, 32768),
        Run(model, "generate", 1, 4096, NEW),
        Run(model, "generate", 8, 512, NEW),
        Run(model, "prefill", 1, 4096, attn="eager"),
        Run(model, "generate", 8, 512, NEW, attn="eager"),
    ]
    if big:
        runs += [Run(model, "prefill", 32, 4096), Run(model, "generate", 32, 512, NEW)]
    return runs


def stress() -> list[Run]:
    """Past the card on purpose: out-of-memory is a result, and llmmem's verdict must agree."""
    return [
        Run("llama3.1-8b", "prefill", 1, 32768, attn="eager"),
        Run("gemma2-9b", "prefill", 1, 32768, attn="eager"),
        Run("qwen2.5-14b", "prefill", 32, 32768),
        Run("mixtral-8x7b", "prefill", 32, 4096),
        full("llama3.1-8b", 1, 2048),
        full("llama3.2-3b", 8, 8192),
        full("llama3.2-3b", 8, 8192, recipe="bf16", ckpt=True),
        full("qwen2.5-0.5b", 16, 4096, ckpt=True),
        lora("qwen2.5-14b", 1, 8192),
    ]


def full(model: str, batch: int, seq: int, recipe: str = "mixed", ckpt: bool = False, opt: str = "adamw") -> Run:
    return Run(model, "train", batch, seq, train=Train(recipe=recipe, gradient_checkpointing=ckpt, optimizer=opt))


def lora(model: str, batch: int, seq: int, ckpt: bool = True, opt: str = "adamw") -> Run:
    return Run(model, "train", batch, seq,
               train=Train(recipe="mixed", lora_rank=16, gradient_checkpointing=ckpt, optimizer=opt))


def with_optimizer(runs: list[Run], opt: str) -> list[Run]:
    return [dataclasses.replace(r, train=dataclasses.replace(r.train, optimizer=opt)) for r in runs]


def training(large_card: bool) -> list[Run]:
    runs = [
        full("qwen2.5-0.5b", 1, 2048),
        full("qwen2.5-0.5b", 4, 2048),
        full("qwen2.5-0.5b", 4, 2048, recipe="bf16"),
        full("qwen2.5-0.5b", 8, 4096, ckpt=True),
        full("llama3.2-1b", 1, 2048),
        full("llama3.2-1b", 4, 4096),
        full("llama3.2-1b", 4, 2048, recipe="bf16"),
        full("llama3.2-1b", 8, 4096, ckpt=True),
        full("llama3.2-1b", 1, 32768, ckpt=True),
        full("llama3.2-3b", 1, 2048),
        full("llama3.2-3b", 4, 4096, ckpt=True),
        full("llama3.2-3b", 2, 2048, recipe="bf16"),
        lora("llama3.1-8b", 1, 2048, ckpt=False),
        lora("llama3.1-8b", 1, 2048),
        lora("llama3.1-8b", 4, 4096),
        lora("llama3.1-8b", 1, 16384),
        lora("qwen2.5-7b", 1, 4096),
        lora("qwen2.5-7b", 4, 4096),
        lora("mistral-7b", 1, 4096),
        lora("mistral-7b", 2, 8192),
        lora("gemma2-9b", 1, 4096),
    ]
    if large_card:
        runs.append(lora("llama3.1-8b", 1, 32768))
    return runs


def grid(gpu_bytes: int) -> list[Run]:
    large = gpu_bytes >= 120 * GiB
    runs: list[Run] = []
    for m in ("qwen2.5-0.5b", "llama3.2-1b", "llama3.1-8b", "deepseek-v2-lite", "qwen1.5-moe-a2.7b", "gemma2-9b"):
        runs += inference(m)
    runs += training(large)  # the HF Trainer's fused AdamW
    runs += with_optimizer(training(large), "adamw-foreach")  # a plain loop's torch.optim.AdamW()
    for m in ("llama3.2-3b", "qwen2.5-7b", "mistral-7b", "qwen2.5-14b"):
        runs += inference(m)
    if large:  # Mixtral-8x7B's 93 GB of bf16 weights fit a 141 GB card only
        runs += inference("mixtral-8x7b", big=False)[:6]
    # fp8 weights (transformers' FineGrainedFP8Config; every matrix dimension a multiple of 128).
    for m in ("qwen2.5-0.5b", "llama3.2-1b", "llama3.2-3b"):
        runs += [Run(m, "prefill", 1, 4096, dtype="fp8"), Run(m, "generate", 8, 512, NEW, dtype="fp8")]
    if large:
        runs += stress()
    return runs
