#!/usr/bin/env python3
"""Fails when the crate's modules import each other in a cycle, or against the stated order.

Three checks over every `.rs` file under src/ (tests in `#[cfg(test)]` blocks included: a test
that needs a module above it is still a cycle worth knowing about):

1. Top-level modules (src/engine/x.rs -> engine): no cycle between them.
2. The stated order (ARCHITECTURE.md, kept here as LAYERS): a module imports only modules on
   a lower floor; the leaves (`identity`, `tokens`) import no other module.
3. Files inside each top-level module: no cycle between them. A path is resolved to the file
   that defines it: `super::x::Item`, `crate::ui::x::Item`, `self::x` and the items a
   `mod.rs` re-exports with `pub use` (followed to the file that defines them). A `mod.rs`'s
   own `mod` and `pub use` lines are declarations, not imports.

Usage: scripts/check-module-cycles.py [src-dir]   (exit 1 on a cycle or an upward import)
"""
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
ROOT_FILES = {"main.rs", "lib.rs"}

# The floors, top first (ARCHITECTURE.md): a module may import modules on floors below its own.
LAYERS = [
    ["cli"],
    ["ui"],
    ["export", "segments"],
    ["report"],
    ["engine", "demo"],
    ["analysis"],
    ["preset"],
    ["run"],
    ["monitor", "measure"],
    ["format"],
]
LEAVES = {"identity", "io_guard", "tokens"}

USE_STMT = re.compile(r"\b(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);")
INLINE_PATH = re.compile(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # String literals can hold `crate::` text (messages); drop their contents.
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


INLINE_MOD = re.compile(r"\bmod\s+[a-z_][a-z0-9_]*\s*\{")


def unnest_inline_modules(text):
    """Inside an inline `mod tests { ... }`, `super` is the file itself: rewrite the first
    `super::` of each path there as `self::`, so paths resolve as from the file."""
    out, pos = [], 0
    for match in INLINE_MOD.finditer(text):
        if match.start() < pos:
            continue
        depth, end = 0, len(text)
        for i in range(match.end() - 1, len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    end = i
                    break
        body = re.sub(r"\bsuper::", "self::", text[match.end():end])
        out.append(text[pos:match.end()] + body)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def expand(tree):
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"] (`as` renames dropped)."""
    tree = re.sub(r"\s+", " ", tree).strip()
    depth = 0
    for i, ch in enumerate(tree):
        if ch == "{" and depth == 0:
            prefix = tree[:i].rstrip(":").strip()
            inner = tree[i + 1 : tree.rindex("}")]
            parts, start, level = [], 0, 0
            for j, c in enumerate(inner):
                if c == "{":
                    level += 1
                elif c == "}":
                    level -= 1
                elif c == "," and level == 0:
                    parts.append(inner[start:j])
                    start = j + 1
            parts.append(inner[start:])
            out = []
            for part in parts:
                part = part.strip()
                if not part:
                    continue
                for sub in expand(part):
                    out.append(prefix if sub == "self" else f"{prefix}::{sub}" if prefix else sub)
            return out
        if ch == "{":
            depth += 1
    return [re.split(r"\s+as\s+", tree)[0].strip()]


class Crate:
    def __init__(self, src):
        self.files = {}  # module path tuple -> (file path relative to src, text)
        for dirpath, _, names in os.walk(src):
            for name in names:
                if not name.endswith(".rs"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), src)
                if rel in ROOT_FILES:
                    continue
                parts = rel[:-3].split(os.sep)
                if parts[-1] == "mod":
                    parts = parts[:-1]
                with open(os.path.join(src, rel), encoding="utf-8") as f:
                    self.files[tuple(parts)] = (rel, unnest_inline_modules(strip_comments(f.read())))
        self.reexports = {}  # module path -> {item name: absolute path}
        for module, (rel, text) in self.files.items():
            items = {}
            for tree in re.findall(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", text):
                for path in expand(tree):
                    absolute = self.absolute(module, rel, path)
                    if absolute:
                        items[absolute[-1]] = absolute
            self.reexports[module] = items

    def is_dir_module(self, rel):
        return rel.endswith("mod.rs")

    def absolute(self, module, rel, path):
        """The path as segments from the crate root, or None for an outside crate."""
        segs = path.split("::")
        if segs[0] == "crate":
            return segs[1:]
        if segs[0] in ("super", "self"):
            base = list(module)
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super":
                    base = base[:-1]
                segs = segs[1:]
            return base + segs
        # A bare `use child::X` inside a module names a child module when one exists.
        if tuple(list(module) + [segs[0]]) in self.files:
            return list(module) + segs
        return None

    def resolve(self, segs, seen=None):
        """The module (path tuple) whose file defines the item at `segs`."""
        seen = seen or set()
        best = ()
        for n in range(len(segs), 0, -1):
            if tuple(segs[:n]) in self.files:
                best = tuple(segs[:n])
                break
        if not best:
            return None
        rest = segs[len(best):]
        if rest and rest[0] in self.reexports.get(best, {}) and (best, rest[0]) not in seen:
            seen.add((best, rest[0]))
            target = self.reexports[best][rest[0]]
            found = self.resolve(target + rest[1:], seen)
            if found:
                return found
        return best

    def imports(self, module):
        """The modules this file names, with the text that names each."""
        rel, text = self.files[module]
        declarations = text
        if self.is_dir_module(rel) or module in self.reexports:
            # `pub use` in a module that has children is a re-export, not an import.
            declarations = re.sub(r"\bpub(?:\([^)]*\))?\s+use\s+[^;]+;", "", text)
        paths = []
        for tree in USE_STMT.findall(declarations):
            paths.extend(expand(tree))
        body = USE_STMT.sub("", declarations)
        paths.extend(INLINE_PATH.findall(body))
        out = {}
        for path in paths:
            absolute = self.absolute(module, rel, path)
            if not absolute:
                continue
            target = self.resolve(absolute)
            if target and target != module and target[: len(module)] != module:
                out.setdefault(target, path)
        return out


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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    crate = Crate(SRC)
    floor = {name: i for i, names in enumerate(LAYERS) for name in names}
    top_graph, top_evidence, file_graph, file_evidence = {}, {}, {}, {}
    for module in crate.files:
        for target, path in crate.imports(module).items():
            here, there = module[0], target[0]
            if here != there:
                top_graph.setdefault(here, set()).add(there)
                top_evidence.setdefault((here, there), f"{crate.files[module][0]}: {path}")
            else:
                file_graph.setdefault(module, set()).add(target)
                file_evidence[(module, target)] = path
    failed = False
    for group in strongly_connected(top_graph):
        failed = True
        print("import cycle between top-level modules: " + ", ".join(sorted(group)))
        for a in sorted(group):
            for b in sorted(top_graph.get(a, ())):
                if b in group:
                    print(f"  {a} -> {b}  ({top_evidence[(a, b)]})")
    for here in sorted(top_graph):
        for there in sorted(top_graph[here]):
            if here in LEAVES:
                why = f"{here} is a leaf and imports no other module"
            elif there in LEAVES:
                continue
            elif here not in floor or there not in floor:
                why = f"{here if here not in floor else there} is on no floor of LAYERS (add it)"
            elif floor[there] <= floor[here]:
                why = f"{there} is not below {here} in the stated order"
            else:
                continue
            failed = True
            print(f"upward import: {here} -> {there}: {why}  ({top_evidence[(here, there)]})")
    for group in strongly_connected(file_graph):
        failed = True
        names = sorted(crate.files[m][0] for m in group)
        print("import cycle between files: " + ", ".join(names))
        for a in sorted(group):
            for b in sorted(file_graph.get(a, ())):
                if b in group:
                    print(f"  {crate.files[a][0]} -> {crate.files[b][0]}  ({file_evidence[(a, b)]})")
    if failed:
        return 1
    tops = {m[0] for m in crate.files}
    print(
        f"no import cycles between the {len(tops)} top-level modules or between the "
        f"{len(crate.files)} files inside them, and every import follows the stated order"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
