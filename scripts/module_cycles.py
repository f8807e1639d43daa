#!/usr/bin/env python3
"""Circles among docrun's top-level modules, read from the `crate::` paths of src/.

Prints each strongly connected group of two or more top-level modules (a circle of
dependence), and the edges inside it with one place each is used. Exit 1 when there is one.
Usage: python3 scripts/module_cycles.py [SRC]   (default: src)
"""
import re
import sys
from collections import defaultdict
from pathlib import Path

src = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
top = lambda p: p.relative_to(src).parts[0].removesuffix(".rs")
modules = {top(p) for p in src.rglob("*.rs")} - {"main", "lib"}
use = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
group_use = re.compile(r"\bcrate::\{([^}]*)\}")
edges = defaultdict(dict)
for path in sorted(src.rglob("*.rs")):
    m = top(path)
    if m not in modules:
        continue
    text = path.read_text()
    # Unit tests may use anything: only the code a build ships counts.
    text = text.split("#[cfg(test)]")[0]
    for n, line in enumerate(text.splitlines(), 1):
        names = use.findall(line)
        for g in group_use.findall(line):
            names += [x.strip().split("::")[0] for x in g.split(",")]
        for other in names:
            if other in modules and other != m:
                edges[m].setdefault(other, f"{path}:{n}")

# Tarjan's strongly connected components.
index, low, stack, on, groups, counter = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        group = []
        while True:
            w = stack.pop(); on.discard(w); group.append(w)
            if w == v:
                break
        if len(group) > 1:
            groups.append(sorted(group))
sys.setrecursionlimit(10000)
for v in sorted(modules):
    if v not in index:
        visit(v)
if not groups:
    print(f"no circle among {len(modules)} top-level modules")
    sys.exit(0)
for g in groups:
    inside = [(a, b, edges[a][b]) for a in g for b in sorted(edges[a]) if b in g]
    print(f"circle of {len(g)} modules: {', '.join(g)} ({len(inside)} edges)")
    for a, b, at in inside:
        print(f"  {a} -> {b}  ({at})")
sys.exit(1)
