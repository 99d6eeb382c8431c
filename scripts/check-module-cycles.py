#!/usr/bin/env python3
"""Fails when the crate's top-level modules import each other in a cycle.

Reads every `crate::a::...` path (in `use` lines and inline) and every `super::super::...`
path that climbs to the crate root and down into another module, maps each file to its top-level module (src/engine/x.rs ->
engine), builds the graph of module -> modules it names, and prints every strongly connected
group of more than one module. Tests under src/ (`#[cfg(test)]` blocks) are included: a test
that needs a module above it is still a cycle worth knowing about.

Usage: scripts/check-module-cycles.py [src-dir]   (exit 1 when a cycle exists)
"""
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
CRATE_PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
# `use crate::{a, b::c}` names several top-level modules in one group.
CRATE_GROUP = re.compile(r"\bcrate::\{([^}]*)\}", re.S)
SUPER_PATH = re.compile(r"\b((?:super::)+)([a-z_][a-z0-9_]*)")
ROOT_FILES = {"main.rs", "lib.rs"}


def top_module(rel_path):
    parts = rel_path.split(os.sep)
    if len(parts) == 1:
        name = parts[0][:-3]
        return None if parts[0] in ROOT_FILES else name
    return parts[0]


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def main():
    graph = {}
    evidence = {}
    modules = set()
    for dirpath, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, SRC)
            here = top_module(rel)
            if here is None:
                continue
            modules.add(here)
            with open(path, encoding="utf-8") as f:
                text = strip_comments(f.read())
            named = set(CRATE_PATH.findall(text))
            # The file's own module path (engine/protocols/http.rs -> [engine, protocols, http]);
            # a chain of `super::` one longer than it is deep names a top-level module.
            parts = rel[:-3].split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            for supers, target in SUPER_PATH.findall(text):
                if supers.count("super") == len(parts):
                    named.add(target)
            for group in CRATE_GROUP.findall(text):
                for item in re.split(r",", group):
                    item = item.strip()
                    if item:
                        named.add(re.split(r"::|\s", item)[0])
            for other in named:
                if other == here or other in ("self",):
                    continue
                graph.setdefault(here, set()).add(other)
                evidence.setdefault((here, other), rel)
    cycles = strongly_connected(graph)
    if not cycles:
        print(f"no import cycles between the {len(modules)} top-level modules of {os.path.normpath(SRC)}")
        return 0
    for group in cycles:
        print("import cycle between: " + ", ".join(sorted(group)))
        for a in sorted(group):
            for b in sorted(graph.get(a, ())):
                if b in group:
                    print(f"  {a} -> {b}  (e.g. {evidence[(a, b)]})")
    return 1


def strongly_connected(graph):
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(group)

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
