#!/usr/bin/env python3
"""Re-runs every `$ llmmem ...` line inside ```console blocks of README.md with the built binary
and replaces the output below it, so the README always shows real output.
Usage: scripts/update_readme.py [BUILD_DIR]   (default build-ci)"""
import os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.path.join(root, sys.argv[1] if len(sys.argv) > 1 else "build-ci")
path = os.path.join(root, "README.md")
text = open(path).read()

def run(cmd):
    env = dict(os.environ, PATH=build + os.pathsep + os.environ["PATH"], NO_COLOR="1")
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env, cwd=root)
    return out.stdout

def refresh(block):
    # Each command starts a segment that runs to the next "$ " line; blank lines separate segments.
    segments, current = [], None
    for line in block.split("\n"):
        if line.startswith("$ "):
            current = [line]
            segments.append(current)
        elif current is None:
            segments.append([line])
    out = []
    for i, seg in enumerate(segments):
        if seg[0].startswith("$ llmmem"):
            out.append(seg[0])
            out.extend(run(seg[0][2:]).rstrip("\n").split("\n"))
        else:
            out.extend(seg)
        if i + 1 < len(segments):
            out.append("")
    return "\n".join(out)

text = re.sub(r"(```console\n)(.*?)(\n```)", lambda m: m.group(1) + refresh(m.group(2)) + m.group(3), text, flags=re.S)
open(path, "w").write(text)
