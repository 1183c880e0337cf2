#!/usr/bin/env python3
"""tests/lint/calls.py - no two object files call each other, directly or round
a loop (lint.kmodel_calls): the files of a layered part call one way only.

    calls.py FILE.o...     (an argument may list several, split by ';' as
                            CMake's $<TARGET_OBJECTS:lib> gives them)

Reads each object's defined and undefined symbols with nm, draws the graph
"a calls b" (a uses a symbol b defines) and prints every loop found as
"a.c -> b.c -> a.c" with the symbols on each edge; exits 1 when there is one,
2 when nm fails."""
import os
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"calls.py: nm {obj}: {out.stderr.strip() or 'failed'}")
    defined, used = set(), set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDRB":  # global text, data, rodata, bss
            defined.add(parts[2])
    return defined, used


def name(obj):
    base = os.path.basename(obj)
    return base[:-2] if base.endswith(".o") else base  # kmodel.c.o -> kmodel.c


def main(objs):
    if not objs:
        print("usage: calls.py FILE.o...", file=sys.stderr)
        return 2
    syms = {name(o): symbols(o) for o in objs}
    edges = {a: {} for a in syms}
    for a, (_, used) in syms.items():
        for b, (defined, _) in syms.items():
            common = sorted(used & defined) if a != b else []
            if common:
                edges[a][b] = common
    loops, state = [], {}  # state: 1 on the path, 2 done

    def visit(a, path):
        state[a] = 1
        path.append(a)
        for b in sorted(edges[a]):
            if state.get(b) == 1:
                loops.append(path[path.index(b):] + [b])
            elif not state.get(b):
                visit(b, path)
        path.pop()
        state[a] = 2

    for a in sorted(edges):
        if not state.get(a):
            visit(a, [])
    for loop in loops:
        print("calls: a loop: " + " -> ".join(loop))
        for a, b in zip(loop, loop[1:]):
            print(f"  {a} -> {b}: {', '.join(edges[a][b])}")
    if loops:
        print("calls: make the calls go one way: what both sides need goes in a file "
              "below them both", file=sys.stderr)
        return 1
    n = sum(len(e) for e in edges.values())
    print(f"calls: {len(syms)} files, {n} one-way dependencies, no loop")
    return 0


if __name__ == "__main__":
    sys.exit(main([o for arg in sys.argv[1:] for o in arg.split(";") if o]))
