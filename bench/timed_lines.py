#!/usr/bin/env python3
"""Runs a shell command and times it: seconds to its first line of stdout and to its end.

  timed_lines.py 'COMMAND'   -> {"first": S or null, "end": S, "lines": N, "code": C}

Used by bench/grep-bench for both `swmq grep` and the pipeline a user writes today.
"""
import json
import subprocess
import sys
import time

t0 = time.monotonic()
p = subprocess.Popen(["bash", "-c", "set -o pipefail; " + sys.argv[1]], stdout=subprocess.PIPE)
first = None
lines = 0
for _ in iter(p.stdout.readline, b""):
    if first is None:
        first = time.monotonic() - t0
    lines += 1
code = p.wait()
print(json.dumps({"first": first, "end": time.monotonic() - t0, "lines": lines, "code": code}))
