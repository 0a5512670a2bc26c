#!/usr/bin/env python3
"""Measure the real memory of LLM inference and training steps on a GPU, for llmmem's validation.

Each run builds a model from its catalog config alone (models/<alias>.json: random weights, no
download, constructed directly on the device in the dtype asked), does one task (prefill, generate
or training steps) and writes one JSON line with every setting and three memory figures, compared
like with like by llmmem_validate:

  max_allocated_bytes  torch.cuda.max_memory_allocated: the tensors alive at the peak;
  max_reserved_bytes   torch.cuda.max_memory_reserved: the caching allocator's segments at its peak;
  device_peak_bytes    max_reserved + what NVML counts beside the allocator (CUDA context, cuBLAS
                       workspaces, NCCL): the device's used memory at the peak, NVML's view.

Out-of-memory is a result (status "oom", with the peak reached before the failure); any other
exception is recorded as status "error" and the grid goes on. The whole grid runs against a time
budget: a run that would start past it is recorded as "skipped".

Usage: python3 tools/measure/measure.py --out DIR [--budget-s 480] [--only ID_SUBSTRING ...]
Writes DIR/<device-name>.jsonl (one line per run) as it goes, so a killed run keeps what it measured.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import json
import os
import platform
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import torch

SCHEMA_VERSION = 1
REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
WEIGHT_FORMATS = (*DTYPES, "fp8")  # fp8: transformers' FineGrainedFP8Config, bf16 compute


@dataclasses.dataclass(frozen=True)
class Train:
    """A training step's settings (the HF Trainer's defaults where not named)."""

    recipe: str = "mixed"  # mixed: fp32 weights + autocast bf16 (Trainer bf16=True); bf16: all bf16
    # adamw: torch.optim.AdamW(fused=True), the HF Trainer's default (optim "adamw_torch_fused" on
    # torch >= 2.8, training_args.py); adamw-foreach: torch.optim.AdamW() as a plain loop builds it
    # (foreach on CUDA), whose step allocates one more state-sized buffer (_multi_tensor_adam's
    # torch._foreach_sqrt(exp_avg_sqs)).
    optimizer: str = "adamw"
    steps: int = 2  # the second step runs with the optimizer states already allocated
    gradient_checkpointing: bool = False
    lora_rank: int = 0  # 0: full fine-tuning
    lora_alpha: int = 32
    lora_targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclasses.dataclass(frozen=True)
class Run:
    """One measurement: a model, a task and its shape."""

    model: str  # catalog alias: models/<model>.json
    task: str  # prefill | generate | train
    batch: int
    prompt_tokens: int  # training: the sequence length
    new_tokens: int = 0  # generate only
    attn: str = "sdpa"  # sdpa | eager
    dtype: str = "bf16"  # the compute dtype; a mixed training recipe keeps fp32 weights
    train: Optional[Train] = None

    @property
    def id(self) -> str:
        parts = [self.model, self.task, self.attn, self.dtype, f"b{self.batch}", f"p{self.prompt_tokens}"]
        if self.new_tokens:
            parts.append(f"n{self.new_tokens}")
        if self.train:
            t = self.train
            parts.append(t.recipe)
            if t.optimizer != "adamw":
                parts.append(t.optimizer)
            if t.lora_rank:
                parts.append(f"lora{t.lora_rank}")
            if t.gradient_checkpointing:
                parts.append("ckpt")
        return "/".join(parts)

    @property
    def weight_dtype(self) -> str:
        return "fp32" if self.train and self.train.recipe == "mixed" and not self.train.lora_rank else self.dtype


# ---------------------------------------------------------------------------------------------
# Models: from the catalog's config.json, through transformers (imported only when needed).


def catalog() -> dict[str, str]:
    """alias -> HF id, from models/catalog.tsv."""
    out = {}
    for line in (MODELS / "catalog.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        alias, hf_id = line.split("\t")[:2]
        out[alias] = hf_id
    return out


def load_config_dict(alias: str) -> dict[str, Any]:
    return json.loads((MODELS / f"{alias}.json").read_text())


def coerce_floats(model_type: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """transformers 5's configs are strict dataclasses: an int where a field is declared float (a
    config.json's "rope_theta": 10000) is refused. Cast such values to float, as from_pretrained's
    JSON loading would have them."""
    import transformers

    ann: dict[str, Any] = {}
    for klass in reversed(transformers.CONFIG_MAPPING[model_type].__mro__):
        ann.update(getattr(klass, "__annotations__", {}))
    out = dict(cfg)
    for k, v in cfg.items():
        a = ann.get(k)
        if a is None or isinstance(v, bool) or not isinstance(v, int):
            continue
        text = a if isinstance(a, str) else repr(a)
        if "float" in text and "int" not in text:
            out[k] = float(v)
    return out


def build_hf_model(alias: str, dtype: str, attn: str, device: str) -> torch.nn.Module:
    """Random weights from the config alone, created directly on `device` in `dtype`: no checkpoint,
    no CPU copy. Built under the device context rather than on the meta device and moved, so that
    buffers computed at construction (rotary inv_freq, kept in fp32) and the initial weights are
    real: MoE routing of random normal weights is near-uniform, as a trained router's is on average.
    "fp8": transformers' FineGrainedFP8Config (128x128 blocks, dynamic activation scales) can only
    quantize in from_pretrained, so the bf16 model is saved to a temporary folder and loaded back."""
    import transformers

    if dtype == "fp8":
        return build_fp8_model(alias, attn, device)
    cfg = dict(load_config_dict(alias))
    model_type = cfg.pop("model_type")
    for k in ("architectures", "transformers_version", "torch_dtype", "dtype", "auto_map", "quantization_config"):
        cfg.pop(k, None)
    config = transformers.AutoConfig.for_model(model_type, **coerce_floats(model_type, cfg))
    kwargs = {"attn_implementation": attn}
    with torch.device(device):
        try:
            model = transformers.AutoModelForCausalLM.from_config(config, dtype=DTYPES[dtype], **kwargs)
        except TypeError:
            model = transformers.AutoModelForCausalLM.from_config(config, torch_dtype=DTYPES[dtype], **kwargs)
    model.eval()
    return model


def build_fp8_model(alias: str, attn: str, device: str) -> torch.nn.Module:
    import shutil
    import tempfile

    import transformers

    folder = Path(tempfile.mkdtemp(prefix=f"llmmem-{alias}-"))
    try:
        model = build_hf_model(alias, "bf16", attn, device)
        model.save_pretrained(folder)
        del model
        free_memory()
        model = transformers.AutoModelForCausalLM.from_pretrained(
            folder, quantization_config=transformers.FineGrainedFP8Config(), device_map=device,
            dtype=torch.bfloat16, attn_implementation=attn)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    model.eval()
    return model


def set_attention(model: torch.nn.Module, attn: str) -> str:
    """Switch the attention implementation in place; returns the one now in effect."""
    fn = getattr(model, "set_attn_implementation", None)
    if fn is not None:
        with contextlib.suppress(Exception):  # models that cannot switch only warn or raise
            fn(attn)
    if getattr(model.config, "_attn_implementation", None) != attn:
        model.config._attn_implementation = attn  # read at every forward by the attention modules
    return model.config._attn_implementation


def add_lora(model: torch.nn.Module, t: Train) -> torch.nn.Module:
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(r=t.lora_rank, lora_alpha=t.lora_alpha, lora_dropout=0.0, target_modules=list(t.lora_targets),
                     task_type="CAUSAL_LM")
    return get_peft_model(model, cfg)


# ---------------------------------------------------------------------------------------------
# Memory readings.


class Meter:
    """The three figures on CUDA; zeros on a CPU (tests), so that the records keep one shape."""

    def __init__(self, device: str):
        self.cuda = device.startswith("cuda") and torch.cuda.is_available()
        self.nvml = None
        if self.cuda:
            torch.zeros(1, device=device)  # create the CUDA context now: the baseline includes it
            torch.cuda.synchronize()
            try:
                import pynvml  # nvidia-ml-py

                pynvml.nvmlInit()
                self.nvml = pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())
                self._pynvml = pynvml
            except Exception:  # NVML missing: the device figure is left out
                self.nvml = None

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def reset(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

    def allocated(self) -> int:
        return torch.cuda.memory_allocated() if self.cuda else 0

    def device_used(self) -> Optional[int]:
        if self.nvml is None:
            return None
        return int(self._pynvml.nvmlDeviceGetMemoryInfo(self.nvml).used)

    def peaks(self) -> dict[str, Optional[int]]:
        if not self.cuda:
            return {"max_allocated_bytes": 0, "max_reserved_bytes": 0, "reserved_after_bytes": 0,
                    "device_used_after_bytes": None, "device_peak_bytes": None}
        torch.cuda.synchronize()
        max_alloc = torch.cuda.max_memory_allocated()
        max_res = torch.cuda.max_memory_reserved()
        res_now = torch.cuda.memory_reserved()
        used = self.device_used()
        return {
            "max_allocated_bytes": max_alloc,
            "max_reserved_bytes": max_res,
            "reserved_after_bytes": res_now,
            "device_used_after_bytes": used,
            # NVML's used memory less the allocator's current segments is what lives beside the
            # allocator (context, library workspaces); added to the allocator's peak it is the
            # device's used memory at the peak.
            "device_peak_bytes": None if used is None else max_res + (used - res_now),
        }

    def gpu(self) -> dict[str, Any]:
        if not self.cuda:
            return {"name": "cpu", "total_bytes": None}
        p = torch.cuda.get_device_properties(torch.cuda.current_device())
        out = {"name": p.name, "total_bytes": int(p.total_memory), "capability": f"{p.major}.{p.minor}"}
        if self.nvml is not None:
            out["nvml_total_bytes"] = int(self._pynvml.nvmlDeviceGetMemoryInfo(self.nvml).total)
            with contextlib.suppress(Exception):
                out["driver"] = self._pynvml.nvmlSystemGetDriverVersion()
        return out


def is_oom(e: BaseException) -> bool:
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom is not None and isinstance(e, oom):
        return True
    return isinstance(e, RuntimeError) and "out of memory" in str(e).lower()


def free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.empty_cache()


# ---------------------------------------------------------------------------------------------
# The tasks. Each takes the model and the run and leaves nothing alive when it returns.


def prefill(model: torch.nn.Module, run: Run, device: str) -> dict[str, Any]:
    """One forward over the prompt with a cache, logits for the last token only: generate()'s first
    step. Models whose forward lacks logits_to_keep compute every position's logits ("all")."""
    ids = torch.randint(0, model.config.vocab_size, (run.batch, run.prompt_tokens), device=device)
    logits = "last"
    with torch.no_grad():
        try:
            out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
        except TypeError:
            logits = "all"
            out = model(input_ids=ids, use_cache=True)
    result = {"logits": logits, **cache_bytes(getattr(out, "past_key_values", None))}
    del out, ids
    return result


def generate(model: torch.nn.Module, run: Run, device: str) -> dict[str, Any]:
    """generate() as a user calls it: greedy, the default cache, exactly new_tokens new tokens."""
    ids = torch.randint(0, model.config.vocab_size, (run.batch, run.prompt_tokens), device=device)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=run.new_tokens,
                             min_new_tokens=run.new_tokens, do_sample=False, pad_token_id=0,
                             return_dict_in_generate=True)
    produced = int(out.sequences.shape[1] - run.prompt_tokens)
    result = {"logits": "last", "produced_tokens": produced, **cache_bytes(getattr(out, "past_key_values", None))}
    del out, ids, mask
    return result


def train_steps(model: torch.nn.Module, run: Run, device: str) -> dict[str, Any]:
    """`steps` optimizer steps of causal-LM loss on random tokens, as the HF Trainer runs them:
    model(input_ids, labels=input_ids).loss, backward, AdamW step, zero_grad(set_to_none=True)."""
    t = run.train
    assert t is not None
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    if t.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {t.optimizer}")
    cuda = device.startswith("cuda")
    opt = torch.optim.AdamW(params, lr=1e-5, **(OPTIMIZERS[t.optimizer] if cuda else {}))
    autocast = (torch.autocast(device_type="cuda" if device.startswith("cuda") else "cpu", dtype=torch.bfloat16)
                if t.recipe == "mixed" else contextlib.nullcontext())
    losses = []
    for _ in range(t.steps):
        ids = torch.randint(0, model.config.vocab_size, (run.batch, run.prompt_tokens), device=device)
        with autocast:
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        del loss, ids
    trainable = sum(p.numel() for p in params)
    del opt, params
    return {"logits": "all", "trainable_parameters": trainable, "losses": losses}


OPTIMIZERS = {"adamw": {"fused": True}, "adamw-foreach": {"foreach": True}}


def cache_bytes(cache: Any) -> dict[str, int]:
    """The KV cache's size once the task is done: the bytes of the storages behind its tensors
    (a sliced view keeps its whole storage alive) and the bytes the tensors themselves span."""
    tensors = []
    for layer in getattr(cache, "layers", None) or []:
        tensors += [v for v in vars(layer).values() if isinstance(v, torch.Tensor)]
    for name in ("key_cache", "value_cache"):  # the cache of transformers < 4.56
        tensors += [t for t in getattr(cache, name, None) or [] if isinstance(t, torch.Tensor)]
    seen: set[int] = set()
    storage = logical = 0
    for t in tensors:
        logical += t.numel() * t.element_size()
        st = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()  # torch < 2.0: storage()
        if st.data_ptr() not in seen:
            seen.add(st.data_ptr())
            storage += st.nbytes()
    return {"cache_storage_bytes": storage, "cache_tensor_bytes": logical}


TASKS: dict[str, Callable[[torch.nn.Module, Run, str], dict[str, Any]]] = {
    "prefill": prefill, "generate": generate, "train": train_steps}


# ---------------------------------------------------------------------------------------------
# The runner.


def versions() -> dict[str, Any]:
    out = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda}
    for name in ("transformers", "peft", "accelerate"):
        try:
            out[name] = __import__(name).__version__
        except Exception:
            out[name] = None
    return out


def sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "device"


class Harness:
    """Runs a list of Runs against a deadline and writes one JSON line per run.

    `builder(alias, dtype_name, attn, device)` makes the model (build_hf_model on a GPU; tests pass a
    tiny one). Inference runs of one model share one built model; a training run builds its own."""

    def __init__(self, out: Path, device: str, budget_s: float,
                 builder: Callable[[str, str, str, str], torch.nn.Module] = build_hf_model,
                 clock: Callable[[], float] = time.monotonic):
        self.device = device
        self.meter = Meter(device)
        self.builder = builder
        self.clock = clock
        self.deadline = clock() + budget_s
        self.env = {"versions": versions(), "gpu": self.meter.gpu(), "host": platform.node() or None}
        out.mkdir(parents=True, exist_ok=True)
        self.path = out / f"{sanitize(self.env['gpu']['name'])}.jsonl"
        self.baseline = self.meter.device_used()  # CUDA context + nothing else yet
        self._model = None  # (key, model) of the shared inference model
        self.records: list[dict[str, Any]] = []

    def _drop_model(self) -> None:
        self._model = None
        free_memory()

    def _inference_model(self, run: Run) -> tuple[torch.nn.Module, str]:
        key = (run.model, run.dtype)
        if self._model is None or self._model[0] != key:
            self._drop_model()
            self._model = (key, self.builder(run.model, run.dtype, run.attn, self.device))
        model = self._model[1]
        return model, set_attention(model, run.attn)

    def _record(self, run: Run, status: str, **fields: Any) -> dict[str, Any]:
        rec = {
            "schema_version": SCHEMA_VERSION,
            "id": run.id,
            "model": run.model,
            "hf_id": catalog().get(run.model),
            "task": run.task,
            "dtype": run.dtype,
            "weight_dtype": run.weight_dtype,
            "batch": run.batch,
            "prompt_tokens": run.prompt_tokens,
            "new_tokens": run.new_tokens,
            "attn_implementation": run.attn,
            "train": dataclasses.asdict(run.train) if run.train else None,
            "status": status,
        }
        rec.update(fields)
        rec["env"] = self.env
        with self.path.open("a") as f:
            f.write(json.dumps(rec, sort_keys=False) + "\n")
        self.records.append(rec)
        return rec

    def measure(self, run: Run) -> dict[str, Any]:
        if self.clock() >= self.deadline:
            return self._record(run, "skipped", error="time budget spent before this run")
        start = self.clock()
        model = None
        result: dict[str, Any] = {}
        failure: Optional[tuple[str, str]] = None
        weights = None
        params = None
        effective_attn = run.attn
        try:
            if run.task == "train":
                self._drop_model()
                model = self.builder(run.model, run.weight_dtype, run.attn, self.device)
                if run.train and run.train.gradient_checkpointing:
                    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
                    model.config.use_cache = False
                if run.train and run.train.lora_rank:
                    model = add_lora(model, run.train)
            else:
                model, effective_attn = self._inference_model(run)
            params = sum(p.numel() for p in model.parameters())
            free_memory()
            weights = self.meter.allocated()
            self.meter.reset()
            result = TASKS[run.task](model, run, self.device)
            self.meter.sync()
        except Exception as e:  # noqa: BLE001 - every failure is a recorded result
            failure = ("oom" if is_oom(e) else "error", f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
                       if str(e) else type(e).__name__)
            if failure[0] == "error":
                failure = (failure[0], failure[1] + " | " + traceback.format_exc(limit=-3).replace("\n", " ")[-600:])
            del e
        memory = self.meter.peaks()
        memory["weights_bytes"] = weights
        memory["device_baseline_bytes"] = self.baseline
        if run.task == "train":
            del model
            model = None
            self._drop_model()
        else:
            model = None
            free_memory()
            if failure:
                self._drop_model()  # an OOM can leave the shared model's state unknown
        status, error = failure if failure else ("ok", None)
        return self._record(run, status, error=error, attn_effective=effective_attn, parameters=params,
                            memory=memory, seconds=round(self.clock() - start, 3), **result,
                            config=load_config_dict(run.model))

    def run_all(self, runs: Iterable[Run]) -> list[dict[str, Any]]:
        for run in runs:
            rec = self.measure(run)
            mem = rec.get("memory") or {}
            gib = (mem.get("max_allocated_bytes") or 0) / 2**30
            print(f"{rec['status']:7} {gib:8.2f} GiB {rec.get('seconds', 0):7.1f}s  {run.id}"
                  + (f"  [{rec['error'][:160]}]" if rec.get("error") else ""), flush=True)
        self._drop_model()
        return self.records


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="folder for <device>.jsonl")
    ap.add_argument("--budget-s", type=float, default=480, help="start no run after this many seconds")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--only", nargs="*", default=None, help="keep runs whose id contains one of these")
    ap.add_argument("--skip", nargs="*", default=None, help="drop runs whose id contains one of these")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from grid import grid  # noqa: E402

    gpu_bytes = torch.cuda.get_device_properties(0).total_memory if torch.cuda.is_available() else 0
    runs = grid(gpu_bytes)
    if args.only:
        runs = [r for r in runs if any(s in r.id for s in args.only)]
    if args.skip:
        runs = [r for r in runs if not any(s in r.id for s in args.skip)]
    h = Harness(args.out, args.device, args.budget_s)
    h.run_all(runs)
    counts: dict[str, int] = {}
    for r in h.records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(f"wrote {len(h.records)} runs to {h.path}: {counts}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
