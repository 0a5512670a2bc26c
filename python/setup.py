"""Builds llmmem's Python module offline: setuptools (Debian's python3-setuptools) runs CMake on the
repository root with -DLLMMEM_BUILD_PYTHON=ON and builds only the extension target.

    pip install --no-build-isolation ./python

Environment:
    LLMMEM_BUILD_DIR   an existing CMake build of the repository to reuse (it is configured with
                       -DLLMMEM_BUILD_PYTHON=ON if it is not yet); default: a fresh one under build/
    LLMMEM_SOURCE_DIR  the repository root (default: this file's parent folder)
"""

import glob
import importlib.machinery
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("LLMMEM_SOURCE_DIR", HERE.parent)).resolve()


def version() -> str:
    """The CLI's version: the one CMake's project() declares (LLMMEM_VERSION)."""
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"project\(llmmem\s+VERSION\s+([0-9.]+)", text)
    if not match:
        sys.exit(f"setup.py: no project(llmmem VERSION ...) in {ROOT / 'CMakeLists.txt'}")
    return match.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        reuse = os.environ.get("LLMMEM_BUILD_DIR")
        build = Path(reuse).resolve() if reuse else Path(self.build_temp).resolve() / "cmake"
        configure = ["cmake", "-S", str(ROOT), "-B", str(build), "-DLLMMEM_BUILD_PYTHON=ON"]
        if not (build / "CMakeCache.txt").exists():
            configure += ["-DCMAKE_BUILD_TYPE=Release", "-DLLMMEM_BUILD_TESTS=OFF",
                          f"-DPython_EXECUTABLE={sys.executable}"]
            if shutil.which("ninja"):
                configure += ["-G", "Ninja"]
            if shutil.which("ccache"):
                configure += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
        if not reuse or "LLMMEM_BUILD_PYTHON:BOOL=ON" not in (build / "CMakeCache.txt").read_text():
            subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build), "--target", "llmmem_python", "-j", jobs], check=True)
        suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
        built = glob.glob(str(build / "python" / "llmmem" / f"_llmmem{suffix}"))
        if not built:
            sys.exit(f"setup.py: no _llmmem{suffix} in {build / 'python' / 'llmmem'} "
                     f"(was that build made for another Python than {sys.executable}?)")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    name="llmmem",
    version=version(),
    description="GPU memory calculator for large language models (the llmmem CLI's estimator in-process)",
    license="MIT",
    python_requires=">=3.8",
    packages=["llmmem"],
    package_data={"llmmem": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("llmmem._llmmem", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
