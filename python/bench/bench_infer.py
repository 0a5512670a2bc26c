"""How long one llmmem.infer call takes from Python, and where the time goes.

    /usr/bin/python3 python/bench/bench_infer.py [CALLS]      (with llmmem importable)

Prints microseconds of CPU time per call (best of 5 repeats of CALLS calls, timeit with
time.process_time, so that other processes on a shared machine do not count) for: the whole
llmmem.infer call; the native half alone (_llmmem.run: named arguments -> command line -> CLI
parse -> estimate -> JSON text, GIL released); json.loads of the JSON text; and, for scale, one
`llmmem infer` process when LLMMEM_CLI names the binary. docs/benchmarks.md records the results.
"""

import json
import os
import subprocess
import sys
import time
import timeit

import llmmem
from llmmem import _llmmem

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
KWARGS = dict(model="llama3-70b", precision="fp16")


def per_call_us(statement, calls=CALLS, timer=time.process_time):
    return min(timeit.repeat(statement, number=calls, repeat=5, timer=timer)) / calls * 1e6


text = _llmmem.run("infer", KWARGS)[0]
rows = [
    ("llmmem.infer(model='llama3-70b', precision='fp16')", per_call_us(lambda: llmmem.infer(**KWARGS))),
    ("  _llmmem.run: arguments, parse, estimate, JSON text", per_call_us(lambda: _llmmem.run("infer", KWARGS))),
    (f"  json.loads of the {len(text)}-byte answer", per_call_us(lambda: json.loads(text))),
    ("llmmem.fit(model='llama3.1-70b', gpu='h100-80gb:2')",
     per_call_us(lambda: llmmem.fit(model="llama3.1-70b", gpu="h100-80gb:2"), max(CALLS // 20, 10))),
]
cli = os.environ.get("LLMMEM_CLI")
if cli:
    args = [cli, "infer", "--model", "llama3-70b", "--precision", "fp16", "--format", "json"]
    # A child process's CPU time is not this process's: wall time here.
    rows.append(("`llmmem infer` process + json.loads, wall time (for scale)",
                 per_call_us(lambda: json.loads(subprocess.run(args, capture_output=True, check=True).stdout), 50,
                             time.perf_counter)))
for name, us in rows:
    print(f"{us:10.1f} us  {name}")
