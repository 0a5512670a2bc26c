"""llmmem: how much GPU memory a large language model needs to run or train.

The CLI's estimator in-process. Each function takes the CLI's flags as keyword arguments
(``seq_len=8192`` is ``--seq-len 8192``; ``check=True`` is ``--check``; a list repeats the flag)
and returns the dict that ``llmmem COMMAND --format json`` prints for the same arguments.
Errors raise :class:`Error` subclasses carrying the CLI's message::

    >>> import llmmem
    >>> llmmem.infer(model="llama3-70b", precision="fp16")["total_bytes"]
    142899835290

See docs/python.md for the whole API.
"""

from __future__ import annotations

import json as _json
from typing import Any, Dict

try:
    from . import _llmmem
except ImportError as e:  # the sources (python/llmmem) imported instead of the installed package
    raise ImportError(f"llmmem's native module is not built here ({e}): install it with "
                      "`pip install --no-build-isolation ./python` (docs/python.md)") from e

__all__ = [
    "Error", "UsageError", "InputError", "UnsupportedError", "NoGpuError",
    "infer", "train", "fit", "inspect", "models", "gpus", "precisions", "flags",
]

#: The CLI's version (``llmmem --version`` prints ``llmmem`` and this).
__version__: str = _llmmem.version


class Error(Exception):
    """Base of llmmem's errors; an exit code with no class of its own raises it (``.exit_code``)."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(Error, ValueError):
    """A bad argument or value (the CLI's exit code 2)."""

    exit_code = 2


class InputError(Error):
    """A missing or malformed file or config, or an unknown model (exit code 3)."""

    exit_code = 3


class UnsupportedError(Error):
    """An architecture the estimator does not model yet (exit code 4)."""

    exit_code = 4


class NoGpuError(InputError):
    """``gpu="local"`` or ``gpus(local=True)`` found no GPU or GPU tool (exit code 6)."""

    exit_code = 6


# src/cli/exit_codes.hpp. 5 (does not fit, with check=True) is an answer, not an error.
_ERRORS = {2: UsageError, 3: InputError, 4: UnsupportedError, 6: NoGpuError}
_DOES_NOT_FIT = 5
_PREFIX = "llmmem: error: "


def _call(command: str, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    out, err, code = _llmmem.run(command, kwargs)
    if code == 0 or code == _DOES_NOT_FIT:
        return _json.loads(out)
    message = err[len(_PREFIX):] if err.startswith(_PREFIX) else err
    message = message.rstrip("\n")
    raise _ERRORS.get(code, Error)(message, code)


def infer(**kwargs: Any) -> Dict[str, Any]:
    return _call("infer", kwargs)


def train(**kwargs: Any) -> Dict[str, Any]:
    return _call("train", kwargs)


def fit(**kwargs: Any) -> Dict[str, Any]:
    return _call("fit", kwargs)


def inspect(path: str, **kwargs: Any) -> Dict[str, Any]:
    return _call("inspect", dict(kwargs, path=path))


def models(**kwargs: Any) -> Dict[str, Any]:
    return _call("models", kwargs)


def gpus(*, local: bool = False, **kwargs: Any) -> Dict[str, Any]:
    return _call("gpus", dict(kwargs, local=local))


def precisions(**kwargs: Any) -> Dict[str, Any]:
    return _call("precisions", kwargs)


def flags(command: str) -> list:
    """The command's flags as the CLI's parser defines them: dicts of name, help, is_switch,
    is_list, required and positional (the source of these docstrings and of the .pyi stubs)."""
    return _llmmem.flags(command)


_SUMMARIES = {
    "infer": "Memory to run a model: ``llmmem infer --format json``.",
    "train": "Memory to fine-tune or train a model: ``llmmem train --format json``.",
    "fit": "What fits on the GPUs given (longest context, largest batch, fewest GPUs, best "
           "precision; with ``train=True`` for training): ``llmmem fit --format json``.",
    "inspect": "What a config.json, model folder, .safetensors or .gguf header holds: "
               "``llmmem inspect PATH --format json``.",
    "models": "The built-in model catalog: ``llmmem models --format json``.",
    "gpus": "Known GPUs, or this machine's with ``local=True``: ``llmmem gpus --format json``.",
    "precisions": "Weight precisions with their bits per weight: ``llmmem precisions --format json``.",
}


def argument_name(flag: str) -> str:
    """The keyword a CLI flag is given as: ``seq-len`` -> ``seq_len``."""
    return flag.replace("-", "_")


def _doc(command: str) -> str:
    lines = [_SUMMARIES[command], "", "Arguments (keyword; the CLI's flags with '-' written '_'):"]
    for f in _llmmem.flags(command):
        if f["name"] == "format":
            continue  # always JSON
        kind = "bool" if f["is_switch"] else ("list of str" if f["is_list"] else "str or number")
        extra = ", required" if f["required"] else ""
        lines.append(f"    {argument_name(f['name'])} ({kind}{extra}): {f['help']}")
    lines += [
        "",
        "Returns the dict the CLI prints with --format json for the same arguments (also when",
        "check=True finds that it does not fit: exit code 5 is an answer, not an error).",
        "Raises UsageError, InputError, UnsupportedError or NoGpuError (all llmmem.Error) with the",
        "CLI's message.",
    ]
    return "\n".join(lines)


for _command, _function in [("infer", infer), ("train", train), ("fit", fit), ("inspect", inspect),
                            ("models", models), ("gpus", gpus), ("precisions", precisions)]:
    _function.__doc__ = _doc(_command)
del _command, _function
