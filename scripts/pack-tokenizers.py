#!/usr/bin/env python3
"""Packs OpenAI's BPE tables (o200k_base, cl100k_base) for embedding in Loadscope.

tiktoken-rs ships each table as text, one "base64-token rank" line per token: 3.6 and 1.7 MB
that `include_str!` puts in the binary. Their ranks run 0..N in file order, so the rank is
implied: the packed form is the token count (u32, little-endian), every token's length (one
byte each), then every token's bytes, all zlib-compressed (1.0 and 0.43 MB). src/tokens/table.rs
reads it; its tests check every token against tiktoken-rs's own table.

The tables are tiktoken-rs's assets (OpenAI's tiktoken encodings, MIT), repacked; THIRD-PARTY.md
lists tiktoken-rs and its licence, which covers them.

Run from the repository root after upgrading tiktoken-rs:
    python3 scripts/pack-tokenizers.py
"""
import base64
import json
import pathlib
import subprocess
import zlib

TABLES = ["o200k_base", "cl100k_base"]


def tiktoken_assets() -> pathlib.Path:
    metadata = json.loads(
        subprocess.check_output(["cargo", "metadata", "--format-version", "1", "--locked"])
    )
    for package in metadata["packages"]:
        if package["name"] == "tiktoken-rs":
            return pathlib.Path(package["manifest_path"]).parent / "assets"
    raise SystemExit("tiktoken-rs is not in Cargo.lock: is this the repository root?")


def pack(source: pathlib.Path) -> bytes:
    tokens = []
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        token, rank = line.split(" ")
        if int(rank) != len(tokens):
            raise SystemExit(f"{source}:{number}: rank {rank} out of order; the packed form implies ranks")
        tokens.append(base64.b64decode(token))
    if max(map(len, tokens)) > 255:
        raise SystemExit(f"{source}: a token is longer than 255 bytes; the packed form stores lengths in one byte")
    raw = len(tokens).to_bytes(4, "little") + bytes(len(t) for t in tokens) + b"".join(tokens)
    return zlib.compress(raw, 9)


def main() -> None:
    assets = tiktoken_assets()
    out_dir = pathlib.Path("assets/tokenizers")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        packed = pack(assets / f"{name}.tiktoken")
        out = out_dir / f"{name}.bin.zlib"
        out.write_bytes(packed)
        print(f"{out}: {len(packed):,} bytes")


if __name__ == "__main__":
    main()
