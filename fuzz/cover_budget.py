#!/usr/bin/env python3
"""Cuts a fuzz corpus down to at most BUDGET files, keeping as many coverage edges as it can.

    python3 fuzz/cover_budget.py <target> <corpus dir> <output dir> [budget=200] [--keep-seeds]

libFuzzer's `-set_cover_merge=1 -use_counters=0` gives the smallest corpus that keeps every
edge; when that is still too large to commit, this picks files greedily by the edges they add
(hand-made `seed-*` files and smaller files win ties). With `--keep-seeds` every `seed-*` file
is kept first (they hold boundary cases that add no edges, such as a full block of padding). Each file's full coverage comes from a
one-file merge run of the already built target (`cargo +nightly fuzz build <target>`).
"""
import os
import shutil
import subprocess
import sys
import tempfile

args = [a for a in sys.argv[1:] if a != "--keep-seeds"]
keep_seeds = "--keep-seeds" in sys.argv
target, src, out = args[0], args[1], args[2]
budget = int(args[3]) if len(args) > 3 else 200
here = os.path.dirname(os.path.abspath(__file__))
binary = os.path.join(here, "target/x86_64-unknown-linux-gnu/release", target)

files = sorted(os.listdir(src))
coverage = {}
for name in files:
    work = tempfile.mkdtemp()
    inputs, empty, control = (os.path.join(work, d) for d in ("in", "out", "control"))
    os.mkdir(inputs)
    os.mkdir(empty)
    shutil.copy(os.path.join(src, name), inputs)
    subprocess.run([binary, "-merge=1", f"-merge_control_file={control}", empty, inputs],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    edges = set()
    with open(control) as f:
        for line in f:
            if line.startswith("COV "):
                edges = set(line.split()[2:])
    coverage[name] = edges
    shutil.rmtree(work)

every = set().union(*coverage.values()) if coverage else set()
chosen, covered = [], set()
if keep_seeds:
    chosen = [name for name in files if name.startswith("seed-")]
    files = [name for name in files if not name.startswith("seed-")]
    for name in chosen:
        covered |= coverage[name]
while len(chosen) < budget and files:
    def rank(name):
        return (len(coverage[name] - covered), name.startswith("seed-"),
                -os.path.getsize(os.path.join(src, name)))
    best = max(files, key=rank)
    if not coverage[best] - covered:
        break
    chosen.append(best)
    covered |= coverage[best]
    files.remove(best)

os.makedirs(out, exist_ok=True)
for name in chosen:
    shutil.copy(os.path.join(src, name), os.path.join(out, name))
share = 100 * len(covered) / len(every) if every else 100.0
print(f"{target}: {len(chosen)} files keep {len(covered)} of {len(every)} edges ({share:.1f}%)")
