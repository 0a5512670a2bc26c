"""CPU tests of the measurement harness (Debian's python3-torch, no transformers, no GPU): a tiny
model with the HF interface the harness calls stands in for the real ones, so that the device
minutes are spent measuring, not debugging. Run: /usr/bin/python3 -m pytest -q tools/measure"""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grid as grid_module  # noqa: E402
import measure  # noqa: E402
from measure import Harness, Run, Train  # noqa: E402

VOCAB = 32


class Tiny(torch.nn.Module):
    """Embedding, one linear layer, an LM head: forward / generate / gradient checkpointing as HF's."""

    def __init__(self, dtype: torch.dtype, attn: str):
        super().__init__()
        self.config = SimpleNamespace(vocab_size=VOCAB, _attn_implementation=attn, use_cache=True)
        self.embed = torch.nn.Embedding(VOCAB, 8, dtype=dtype)
        self.body = torch.nn.Linear(8, 8, dtype=dtype)
        self.head = torch.nn.Linear(8, VOCAB, dtype=dtype)
        self.checkpointing = None
        self.calls = []

    def gradient_checkpointing_enable(self, gradient_checkpointing_kwargs=None):
        self.checkpointing = gradient_checkpointing_kwargs

    def forward(self, input_ids, labels=None, use_cache=False, logits_to_keep=0, attention_mask=None):
        self.calls.append({"shape": tuple(input_ids.shape), "use_cache": use_cache, "logits_to_keep": logits_to_keep})
        h = self.body(self.embed(input_ids))
        if logits_to_keep:
            h = h[:, -logits_to_keep:]
        logits = self.head(h)
        loss = None
        if labels is not None:
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, VOCAB).float(),
                                                     labels[:, 1:].reshape(-1))
        cache = SimpleNamespace(layers=[SimpleNamespace(keys=h, values=h[:, :1])]) if use_cache else None
        return SimpleNamespace(logits=logits, loss=loss, past_key_values=cache)

    def generate(self, input_ids, attention_mask, max_new_tokens, min_new_tokens, do_sample, pad_token_id,
                 return_dict_in_generate):
        assert not do_sample and min_new_tokens == max_new_tokens and return_dict_in_generate
        ids = input_ids
        for _ in range(max_new_tokens):
            out = self(ids, logits_to_keep=1, use_cache=True)
            ids = torch.cat([ids, out.logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        return SimpleNamespace(sequences=ids, past_key_values=out.past_key_values)


def tiny_builder(built):
    def build(alias, dtype, attn, device):
        dtype = measure.DTYPES[dtype]
        m = Tiny(dtype, attn)
        built.append((alias, dtype, attn, m))
        return m

    return build


def records(path: Path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_task_writes_one_complete_line(tmp_path):
    built = []
    h = Harness(tmp_path, "cpu", budget_s=600, builder=tiny_builder(built))
    runs = [
        Run("qwen2.5-0.5b", "prefill", 2, 16),
        Run("qwen2.5-0.5b", "generate", 2, 8, 5),
        Run("qwen2.5-0.5b", "prefill", 1, 16, attn="eager"),
        Run("qwen2.5-0.5b", "train", 2, 16, train=Train(recipe="mixed")),
        Run("qwen2.5-0.5b", "train", 2, 16, train=Train(recipe="bf16", gradient_checkpointing=True)),
    ]
    h.run_all(runs)
    recs = records(tmp_path / "cpu.jsonl")
    assert [r["id"] for r in recs] == [r.id for r in runs]
    assert all(r["status"] == "ok" for r in recs), [r.get("error") for r in recs]
    for r in recs:
        assert r["schema_version"] == measure.SCHEMA_VERSION
        assert r["hf_id"] == "Qwen/Qwen2.5-0.5B"
        assert r["config"]["model_type"] == "qwen2"  # the whole catalog config travels with the run
        assert r["env"]["gpu"]["name"] == "cpu" and r["env"]["versions"]["torch"] == torch.__version__
        assert set(r["memory"]) >= {"max_allocated_bytes", "max_reserved_bytes", "device_peak_bytes",
                                    "weights_bytes", "device_baseline_bytes"}
        # Tiny: embed 32*8 + body 8*8+8 + head 8*32+32 = 616 parameters.
        assert r["parameters"] == 616
    prefill, gen, eager, mixed, bf16 = recs
    assert prefill["logits"] == "last" and prefill["new_tokens"] == 0
    # Tiny's cache holds two one-token views (keys, values: 2 x 1 x 8 bf16 = 32 bytes each) of its
    # (2, 16, 8) bf16 hidden states: tensors 64 bytes, but the one storage behind them is 512.
    assert prefill["cache_storage_bytes"] == 512 and prefill["cache_tensor_bytes"] == 64
    assert gen["produced_tokens"] == 5 and gen["new_tokens"] == 5
    assert eager["attn_effective"] == "eager"
    # The three inference runs share one model; the attention switch happens in place.
    assert sum(1 for b in built if b[0] == "qwen2.5-0.5b" and b[1] == torch.bfloat16) == 2  # + bf16 training
    # Mixed precision keeps fp32 weights; the bf16 recipe does not.
    assert mixed["weight_dtype"] == "fp32" and built[1][1] == torch.float32
    assert bf16["weight_dtype"] == "bf16" and bf16["train"]["gradient_checkpointing"] is True
    assert built[2][3].checkpointing == {"use_reentrant": False}
    assert len(mixed["losses"]) == 2 and mixed["trainable_parameters"] == 616
    assert mixed["train"]["optimizer"] == "adamw" and "foreach" not in mixed["id"]


def test_prefill_asks_for_last_token_logits_with_a_cache(tmp_path):
    built = []
    Harness(tmp_path, "cpu", 600, builder=tiny_builder(built)).run_all([Run("qwen2.5-0.5b", "prefill", 3, 7)])
    assert built[0][3].calls == [{"shape": (3, 7), "use_cache": True, "logits_to_keep": 1}]


def test_the_optimizer_is_named_in_the_id_unless_it_is_the_trainers():
    assert Run("m", "train", 1, 8, train=Train()).id == "m/train/sdpa/bf16/b1/p8/mixed"
    assert Run("m", "train", 1, 8, train=Train(optimizer="adamw-foreach", lora_rank=8)).id == \
        "m/train/sdpa/bf16/b1/p8/mixed/adamw-foreach/lora8"
    assert measure.OPTIMIZERS["adamw"] == {"fused": True}  # the HF Trainer's adamw_torch_fused


def test_out_of_memory_is_a_result_and_the_grid_goes_on(tmp_path):
    oom = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    calls = {"n": 0}

    def builder(alias, dtype, attn, device):
        calls["n"] += 1
        if calls["n"] == 1:
            raise oom
        return Tiny(measure.DTYPES[dtype], attn)

    h = Harness(tmp_path, "cpu", 600, builder=builder)
    h.run_all([Run("qwen2.5-0.5b", "prefill", 1, 8), Run("qwen2.5-0.5b", "prefill", 1, 8, attn="eager")])
    first, second = records(h.path)
    assert first["status"] == "oom" and "Tried to allocate" in first["error"]
    assert second["status"] == "ok"


def test_a_plain_runtime_error_naming_oom_counts_as_oom():
    assert measure.is_oom(RuntimeError("CUDA error: out of memory"))
    assert not measure.is_oom(RuntimeError("shape mismatch"))


def test_other_failures_are_recorded_as_errors(tmp_path):
    class Broken(Tiny):
        def generate(self, *a, **k):
            raise ValueError("generate() got an unexpected keyword argument 'min_new_tokens'")

    h = Harness(tmp_path, "cpu", 600, builder=lambda a, d, at, dev: Broken(measure.DTYPES[d], at))
    h.run_all([Run("qwen2.5-0.5b", "generate", 1, 8, 4), Run("qwen2.5-0.5b", "prefill", 1, 8)])
    bad, good = records(h.path)
    assert bad["status"] == "error" and "min_new_tokens" in bad["error"] and "ValueError" in bad["error"]
    assert good["status"] == "ok"


def test_runs_past_the_budget_are_skipped_not_started(tmp_path):
    now = {"t": 0.0}
    built = []
    h = Harness(tmp_path, "cpu", budget_s=10, builder=tiny_builder(built), clock=lambda: now["t"])
    h.measure(Run("qwen2.5-0.5b", "prefill", 1, 8))
    now["t"] = 10.0
    rec = h.measure(Run("llama3.2-1b", "prefill", 1, 8))
    assert rec["status"] == "skipped" and len(built) == 1


@pytest.mark.parametrize("gib", [80, 141])
def test_the_grid_is_large_unique_and_from_the_catalog(gib):
    runs = grid_module.grid(gib * 2**30)
    ids = [r.id for r in runs]
    assert len(ids) == len(set(ids))
    assert len(runs) >= 100  # room for OOMs and a cut budget above the 60 the issue asks for
    aliases = measure.catalog()
    for r in runs:
        assert r.model in aliases, r.model
        assert measure.load_config_dict(r.model)["model_type"]
        assert r.task in measure.TASKS and r.attn in ("sdpa", "eager") and r.dtype in measure.WEIGHT_FORMATS
        assert (r.task == "train") == (r.train is not None)
        assert (r.task == "generate") == (r.new_tokens > 0)
    models = {r.model for r in runs}
    # The list: dense, sliding window (Gemma 2), MoE (Qwen1.5-MoE; Mixtral on a large card), MLA.
    assert {"llama3.2-1b", "llama3.2-3b", "llama3.1-8b", "qwen2.5-0.5b", "qwen2.5-7b", "qwen2.5-14b",
            "mistral-7b", "gemma2-9b", "qwen1.5-moe-a2.7b", "deepseek-v2-lite"} <= models
    assert ("mixtral-8x7b" in models) == (gib > 120)
    tasks = {(r.task, r.train.lora_rank > 0 if r.train else None) for r in runs}
    assert {("prefill", None), ("generate", None), ("train", False), ("train", True)} <= tasks


def test_device_names_become_safe_file_names():
    assert measure.sanitize("NVIDIA H100 80GB HBM3") == "NVIDIA-H100-80GB-HBM3"
    assert measure.sanitize("../../etc") == "..-..-etc"
    assert "/" not in measure.sanitize("a/b")
