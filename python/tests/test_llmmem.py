"""The Python module answers as the CLI does: the same dict as `--format json`, the same messages
(as exceptions of the exit code's class), the same version and the same flags."""

import json
import os
import pydoc
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import llmmem

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def run_cli(cli, args, env=None):
    """The CLI's stdout, stderr and exit code for `args` (a list, as argv from argv[1])."""
    full_env = dict(os.environ, NO_COLOR="1", **(env or {}))
    p = subprocess.run([cli, *args], capture_output=True, text=True, env=full_env, timeout=60)
    return p.stdout, p.stderr, p.returncode


def cli_json(cli, args, env=None):
    out, err, code = run_cli(cli, [*args, "--format", "json"], env)
    assert code in (0, 5), err
    return json.loads(out)


def cli_message(cli, args, env=None):
    out, err, code = run_cli(cli, args, env)
    assert out == ""
    assert err.startswith("llmmem: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    return code, err[len("llmmem: error: "):-1]


ERROR_CLASSES = {2: llmmem.UsageError, 3: llmmem.InputError, 4: llmmem.UnsupportedError, 6: llmmem.NoGpuError}


def same_as_cli(cli, call, args):
    """call() returns the CLI's JSON for `args`, or raises the class of its exit code with its message."""
    out, err, code = run_cli(cli, [*args, "--format", "json"])
    if code in (0, 5):
        assert call() == json.loads(out)
        return
    with pytest.raises(llmmem.Error) as info:
        call()
    assert type(info.value) is ERROR_CLASSES[code]
    assert f"llmmem: error: {info.value}\n" == err


# Every catalog model, as `llmmem infer --model NAME` and on two H100s with a long context.
CATALOG = [m["name"] for m in llmmem.models()["models"]]


def test_catalog_is_the_cli_catalog(cli):
    assert llmmem.models() == cli_json(cli, ["models"])
    assert len(CATALOG) == len(cli_json(cli, ["models"])["models"]) > 0


@pytest.mark.parametrize("name", CATALOG)
def test_every_catalog_model_infers_as_the_cli(cli, name):
    assert llmmem.infer(model=name) == cli_json(cli, ["infer", "--model", name])
    # check=True judged against GPUs: exit code 5 (does not fit) is an answer, returned as a dict.
    # (Encoders refuse 32k tokens with a usage error: the same error.)
    same_as_cli(cli, lambda: llmmem.infer(model=name, seq_len="32k", gpu="h100-80gb:2", check=True),
                ["infer", "--model", name, "--seq-len", "32k", "--gpu", "h100-80gb:2", "--check"])


def test_total_bytes_of_the_issue_example(cli):
    # The issue's Done-when: the same total_bytes as the CLI for llama3-70b at fp16.
    ours = llmmem.infer(model="llama3-70b", precision="fp16")["total_bytes"]
    assert ours == cli_json(cli, ["infer", "--model", "llama3-70b", "--precision", "fp16"])["total_bytes"]


@pytest.mark.parametrize("kwargs, args", [
    (dict(model="llama3-70b", precision="q4_k_m", seq_len=8192, engine="llama.cpp", gpu="rtx4090:2"),
     ["--model", "llama3-70b", "--precision", "q4_k_m", "--seq-len", "8192", "--engine", "llama.cpp",
      "--gpu", "rtx4090:2"]),
    (dict(model="llama3.1-8b", engine="vllm", gpu="h100-80gb", gpu_memory_utilization=0.85, max_num_seqs=64),
     ["--model", "llama3.1-8b", "--engine", "vllm", "--gpu", "h100-80gb", "--gpu-memory-utilization", "0.85",
      "--max-num-seqs", "64"]),
    (dict(model="llama3.1-405b", gpu="rtx4090", check=True),
     ["--model", "llama3.1-405b", "--gpu", "rtx4090", "--check"]),
])
def test_infer_spot_checks(cli, kwargs, args):
    assert llmmem.infer(**kwargs) == cli_json(cli, ["infer", *args])


@pytest.mark.parametrize("kwargs, args", [
    (dict(model="llama3.1-8b", lora_rank=16, precision="nf4-dq", gpu="rtx4090", check=True),
     ["--model", "llama3.1-8b", "--lora-rank", "16", "--precision", "nf4-dq", "--gpu", "rtx4090", "--check"]),
    (dict(model="llama3.1-8b", lora_rank=16, lora_targets=["q", "v", "down"], seq_len=4096, batch=4),
     ["--model", "llama3.1-8b", "--lora-rank", "16", "--lora-targets", "q,v,down", "--seq-len", "4096",
      "--batch", "4"]),
    (dict(model="llama3-70b", zero=3, dp=8, gpu="h100-80gb:8", offload=["optimizer"]),
     ["--model", "llama3-70b", "--zero", "3", "--dp", "8", "--gpu", "h100-80gb:8", "--offload", "optimizer"]),
])
def test_train_spot_checks(cli, kwargs, args):
    assert llmmem.train(**kwargs) == cli_json(cli, ["train", *args])


def test_fit_spot_checks(cli):
    assert llmmem.fit(model="llama3.1-70b", gpu="h100-80gb:2") == cli_json(
        cli, ["fit", "--model", "llama3.1-70b", "--gpu", "h100-80gb:2"])
    assert llmmem.fit(model="llama3.1-8b", gpu="rtx4090", train=True, lora_rank=16, seq_len=2048) == cli_json(
        cli, ["fit", "--model", "llama3.1-8b", "--gpu", "rtx4090", "--train", "--lora-rank", "16", "--seq-len", "2048"])


def test_inspect_gpus_precisions_as_the_cli(cli, monkeypatch):
    for path in [FIXTURES / "model_dir", FIXTURES / "model_dir" / "config.json"]:
        assert llmmem.inspect(path) == cli_json(cli, ["inspect", str(path)])
        assert llmmem.inspect(str(path), units="decimal") == cli_json(cli, ["inspect", str(path), "--units", "decimal"])
    # A path-like value is its path (model=pathlib.Path(...) as well as inspect's path).
    assert llmmem.infer(model=FIXTURES / "model_dir") == cli_json(cli, ["infer", "--model", str(FIXTURES / "model_dir")])
    assert llmmem.gpus() == cli_json(cli, ["gpus"])
    assert llmmem.precisions() == cli_json(cli, ["precisions"])
    # This machine's GPUs: the recorded 2 x H100 nvidia-smi output (tests/fixtures/bin/nvidia-smi).
    path = f"{FIXTURES / 'bin'}:/usr/bin:/bin"
    monkeypatch.setenv("PATH", path)
    local = llmmem.gpus(local=True)
    assert local == cli_json(cli, ["gpus", "--local"], {"PATH": path})
    assert len(local["gpus"]) == 2


def raises_as_cli(cli, exception, call, args, env=None):
    code, message = cli_message(cli, args, env)
    with pytest.raises(exception) as info:
        call()
    assert str(info.value) == message
    assert info.value.exit_code == code
    assert type(info.value) is exception
    return message


def test_errors_raise_the_exit_codes_class_with_the_cli_message(cli, monkeypatch):
    m = raises_as_cli(cli, llmmem.UsageError, lambda: llmmem.infer(model="llama3-70b", bogus=1),
                      ["infer", "--model", "llama3-70b", "--bogus=1"])
    assert "unknown option '--bogus'" in m
    m = raises_as_cli(cli, llmmem.UsageError, lambda: llmmem.infer(model="llama3-70b", seq_len=-5),
                      ["infer", "--model", "llama3-70b", "--seq-len=-5"])
    assert "--seq-len" in m
    raises_as_cli(cli, llmmem.UsageError, lambda: llmmem.infer(model="llama3-70b", check=True),
                  ["infer", "--model", "llama3-70b", "--check"])
    raises_as_cli(cli, llmmem.UsageError, lambda: llmmem.infer(precision="fp16"), ["infer", "--precision", "fp16"])
    m = raises_as_cli(cli, llmmem.InputError, lambda: llmmem.infer(model="llama3-7b-nope"),
                      ["infer", "--model", "llama3-7b-nope"])
    assert "llama3-7b-nope" in m
    raises_as_cli(cli, llmmem.InputError, lambda: llmmem.inspect(FIXTURES / "configs" / "malformed.json"),
                  ["inspect", str(FIXTURES / "configs" / "malformed.json")])
    xlnet = str(FIXTURES / "configs" / "unsupported_xlnet.json")
    m = raises_as_cli(cli, llmmem.UnsupportedError, lambda: llmmem.infer(model=xlnet), ["infer", "--model", xlnet])
    assert "'xlnet' is not supported" in m
    monkeypatch.setenv("PATH", "/nonexistent")
    m = raises_as_cli(cli, llmmem.NoGpuError, lambda: llmmem.gpus(local=True), ["gpus", "--local"],
                      {"PATH": "/nonexistent"})
    assert "no local GPU" in m


def test_paths_are_the_file_systems_bytes(cli):
    # A file name that is not UTF-8 reaches the core as its bytes (os.fsencode), and the message
    # quoting it arrives with the bytes replaced, as the CLI's stderr decoded with errors="replace".
    raw = b"/nonexistent/model-\xff.json"
    p = subprocess.run([cli, "inspect", raw], capture_output=True)
    assert p.returncode == 3 and p.stdout == b""
    with pytest.raises(llmmem.InputError) as info:
        llmmem.inspect(Path(os.fsdecode(raw)))
    assert f"llmmem: error: {info.value}\n" == p.stderr.decode("utf-8", "replace")
    # A str that cannot be encoded at all is a usage error naming the argument.
    with pytest.raises(llmmem.UsageError, match="argument 'model'"):
        llmmem.infer(model="llama\udcff")


def test_exception_classes():
    for cls in (llmmem.UsageError, llmmem.InputError, llmmem.UnsupportedError, llmmem.NoGpuError):
        assert issubclass(cls, llmmem.Error)
    assert issubclass(llmmem.NoGpuError, llmmem.InputError)
    assert issubclass(llmmem.UsageError, ValueError)


def test_python_only_argument_errors():
    with pytest.raises(llmmem.UsageError, match="always answers in JSON"):
        llmmem.infer(model="llama3-70b", format="json")
    with pytest.raises(llmmem.UsageError, match="argument 'seq_len' takes a string, a number"):
        llmmem.infer(model="llama3-70b", seq_len={"a": 1})
    with pytest.raises(llmmem.UsageError, match="out of range"):
        llmmem.infer(model="llama3-70b", seq_len=2**70)
    with pytest.raises(llmmem.UsageError, match="not a finite number"):
        llmmem.infer(model="llama3-70b", seq_len=float("nan"))
    with pytest.raises(llmmem.UsageError):
        llmmem.infer(model="llama3-70b", help=True)


def test_an_exit_code_without_a_class_raises_the_base_error(monkeypatch):
    # A code this module does not know yet (a later "network" code, say) still raises llmmem.Error.
    monkeypatch.setattr(llmmem._llmmem, "run", lambda command, kwargs: (b"", "llmmem: error: no route\n", 7))
    with pytest.raises(llmmem.Error) as info:
        llmmem.infer(model="llama3-70b")
    assert type(info.value) is llmmem.Error
    assert str(info.value) == "no route" and info.value.exit_code == 7


def test_version_is_the_cli_version(cli):
    out, _, code = run_cli(cli, ["--version"])
    assert code == 0 and out == f"llmmem {llmmem.__version__}\n"


def test_help_lists_the_cli_flags():
    text = pydoc.render_doc(llmmem.infer)
    assert "seq_len" in text and "tokens per sequence" in text
    for command in ["infer", "train", "fit", "inspect"]:
        doc = getattr(llmmem, command).__doc__
        for f in llmmem.flags(command):
            if f["name"] != "format":
                assert llmmem.argument_name(f["name"]) in doc, (command, f["name"])
    assert "lora_targets (list of str)" in llmmem.train.__doc__
    assert "check (bool)" in llmmem.infer.__doc__
    assert "model (str or number, required)" in llmmem.infer.__doc__


def test_committed_stub_is_the_generated_one():
    sys.path.insert(0, str(ROOT / "python"))
    try:
        import generate_stubs
    finally:
        sys.path.pop(0)
    committed = generate_stubs.STUB.read_text()
    assert committed == generate_stubs.stub_text(llmmem), "rerun python/generate_stubs.py"
    installed = Path(llmmem.__file__).with_name("__init__.pyi")
    assert installed.read_text() == committed


def test_calls_from_threads_agree():
    # The GIL is released while the core runs: threads may call it at once, each with its own answer.
    expected = {n: llmmem.infer(model=n)["total_bytes"] for n in CATALOG[:8]}
    got, errors = {}, []

    def work(name):
        try:
            for _ in range(20):
                got[name] = llmmem.infer(model=name)["total_bytes"]
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in expected]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and got == expected


def test_readme_example_largest_batch(cli):
    # README "Python": the largest micro-batch for QLoRA of Llama-3.1-8B on one RTX 4090.
    settings = dict(model="llama3.1-8b", gpu="rtx4090", lora_rank=16, precision="nf4-dq",
                    gradient_checkpointing="full", seq_len=2048)
    plan = llmmem.fit(train=True, **settings)
    assert plan == cli_json(cli, ["fit", "--train", "--model", "llama3.1-8b", "--gpu", "rtx4090", "--lora-rank", "16",
                                  "--precision", "nf4-dq", "--gradient-checkpointing", "full", "--seq-len", "2048"])
    batch = plan["answers"]["max_batch"]
    assert batch == 3
    # The same answer from train(check=True): it fits at that batch and not at one more.
    assert llmmem.train(batch=batch, check=True, **settings)["gpu"]["fits"] is True
    assert llmmem.train(batch=batch + 1, check=True, **settings)["gpu"]["fits"] is False


def test_the_gil_is_released_while_a_command_runs(tmp_path, monkeypatch):
    # gpus(local=True) runs nvidia-smi: this stand-in waits (5 s at most) for a file that only this
    # Python thread can create. Held, the GIL would stop this thread until the stand-in gave up and
    # failed; released, the file appears and the stand-in prints the recorded 2 x H100 answer.
    started, go = tmp_path / "started", tmp_path / "go"
    smi = tmp_path / "nvidia-smi"
    smi.write_text(f"""#!/bin/sh
touch '{started}'
i=0
while [ ! -f '{go}' ]; do
  i=$((i + 1)); [ "$i" -gt 100 ] && exit 9
  sleep 0.05
done
cat '{FIXTURES / "nvidia-smi-h100x2.csv"}'
""")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    result, errors = [], []

    def work():
        try:
            result.append(llmmem.gpus(local=True))
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    worker = threading.Thread(target=work)
    worker.start()
    for _ in range(200):  # while the worker is inside the native call
        if started.exists():
            break
        threading.Event().wait(0.025)
    go.touch()
    worker.join()
    assert not errors, errors
    assert [g["total_bytes"] for g in result[0]["gpus"]] == [81559 * 2**20] * 2  # 81559 MiB each
