#!/usr/bin/env python3
"""Prints the sizes of the stripped binary and the packages, and with --readme writes them into
the README's Install section (between its package-sizes markers), so the sizes there are always
the last build's.

Usage: scripts/package-sizes.py BINARY PACKAGE... [--readme README.md]
"""
import os
import re
import sys

BEGIN = "<!-- package-sizes: written by scripts/package.sh -->"
END = "<!-- /package-sizes -->"


def mb(size):
    return f"{size / 1_000_000:.1f} MB"


def kind(path):
    name = os.path.basename(path)
    for suffix, what in ((".deb", "Debian/Ubuntu package"), (".tar.xz", "tarball (other Linux)"), (".rpm", "RPM package")):
        if name.endswith(suffix):
            return what
    return None


def main(argv):
    readme = None
    if "--readme" in argv:
        at = argv.index("--readme")
        readme = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    if len(argv) < 2:
        sys.exit(__doc__)
    binary, packages = argv[0], [path for path in argv[1:] if kind(path)]
    rows = [("`loadscope`", "the stripped binary", os.path.getsize(binary))]
    rows += [(f"`{os.path.basename(path)}`", kind(path), os.path.getsize(path)) for path in sorted(packages)]
    table = ["| file | what | size |", "| --- | --- | --- |"] + [f"| {name} | {what} | {mb(size)} |" for name, what, size in rows]
    print("\n".join(table))
    if readme:
        with open(readme, encoding="utf-8") as file:
            text = file.read()
        block = f"{BEGIN}\n" + "\n".join(table) + f"\n{END}"
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        if not pattern.search(text):
            sys.exit(f"{readme}: no {BEGIN} ... {END} block to write the sizes into")
        with open(readme, "w", encoding="utf-8") as file:
            file.write(pattern.sub(lambda _: block, text))


if __name__ == "__main__":
    main(sys.argv[1:])
