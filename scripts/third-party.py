#!/usr/bin/env python3
"""Writes THIRD-PARTY.md: every crate linked into the loadscope binary (for this platform),
with its version, licence and repository, followed by the licence texts the crates ship
(each distinct text once). The packages include it.

Usage: scripts/third-party.py > THIRD-PARTY.md
"""
import glob
import json
import os
import subprocess
import sys

NAMES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "UNLICENSE")


def main():
    host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    triple = next(line.split(": ")[1] for line in host.splitlines() if line.startswith("host: "))
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", triple],
            capture_output=True, text=True, check=True,
        ).stdout
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    # Normal (non-dev, non-build) dependencies reachable from the root: what the binary links.
    seen, stack = set(), [root]
    while stack:
        node = nodes[stack.pop()]
        for dep in node["deps"]:
            kinds = {k["kind"] for k in dep["dep_kinds"]}
            if None in kinds and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                stack.append(dep["pkg"])
    crates = sorted((packages[i] for i in seen), key=lambda p: (p["name"], p["version"]))
    out = sys.stdout
    out.write("# Third-party software in Loadscope\n\n")
    out.write(f"Loadscope links these {len(crates)} crates statically. Their licence texts follow the list.\n\n")
    out.write("| crate | version | licence | repository |\n| --- | --- | --- | --- |\n")
    for p in crates:
        out.write(f"| {p['name']} | {p['version']} | {p.get('license') or p.get('license_file') or '?'} | {p.get('repository') or ''} |\n")
    texts = {}
    for p in crates:
        folder = os.path.dirname(p["manifest_path"])
        for path in sorted(glob.glob(os.path.join(folder, "*"))):
            if os.path.isfile(path) and os.path.basename(path).upper().startswith(NAMES):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read().strip()
                texts.setdefault(text, []).append(f"{p['name']} {p['version']}")
    out.write("\n## Licence texts\n")
    for text, users in texts.items():
        out.write(f"\n### Used by: {', '.join(users)}\n\n```\n{text}\n```\n")


if __name__ == "__main__":
    main()
