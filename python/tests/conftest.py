"""Finds the CLI binary the module is compared with: $LLMMEM_CLI, else the repository's build/llmmem."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli() -> str:
    for candidate in [os.environ.get("LLMMEM_CLI"), ROOT / "build" / "llmmem", shutil.which("llmmem")]:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail("no llmmem binary to compare with: set LLMMEM_CLI=path/to/llmmem")
