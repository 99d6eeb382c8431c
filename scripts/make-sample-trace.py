#!/usr/bin/env python3
"""Writes presets/data/sample-trace.jsonl, the small Mooncake-format trace that the shipped
trace-replay preset replays against the demo stack.

How it is made (so it can be made again, or made bigger): 150 requests over 30 seconds, their
arrivals a Poisson process (exponential gaps, mean 0.2 s) with a burst of 30 requests in
seconds 12 to 14, as a trace from a real gateway has bursts. Each request belongs to one of
eight conversations: its prompt starts with that conversation's blocks (a shared system prompt
and history, `hash_ids` in Mooncake's sense) and ends with one or two blocks of its own, so
requests of a conversation share a prefix a cache can reuse. Blocks are 128 tokens (the preset
sets block_tokens = 128); the last block of a prompt is partial, as in Mooncake's traces. Output
lengths are 16 to 64 tokens. The random generator is seeded (seed 28): the same file every time.

Usage: python3 scripts/make-sample-trace.py [OUT] [--requests N] [--seconds S]
"""
import argparse
import json
import random

BLOCK = 128


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="presets/data/sample-trace.jsonl")
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    rng = random.Random(28)
    burst = 30 if args.requests >= 60 else 0
    steady = args.requests - burst
    times = []
    t = 0.0
    mean_gap = args.seconds / max(steady, 1)
    while len(times) < steady:
        t += rng.expovariate(1.0 / mean_gap)
        if t >= args.seconds:
            t = rng.uniform(0, args.seconds)
        times.append(t)
    burst_start = args.seconds * 0.4
    times += [burst_start + rng.uniform(0, 2.0) for _ in range(burst)]
    times.sort()
    conversations = []
    next_id = 0
    for _ in range(8):
        shared = rng.randint(2, 6)
        conversations.append(list(range(next_id, next_id + shared)))
        next_id += shared
    lines = []
    for timestamp in times:
        prefix = rng.choice(conversations)
        own = rng.randint(1, 2)
        hash_ids = prefix + list(range(next_id, next_id + own))
        next_id += own
        input_length = (len(hash_ids) - 1) * BLOCK + rng.randint(16, BLOCK)
        lines.append(
            json.dumps(
                {
                    "timestamp": round(timestamp * 1000),
                    "input_length": input_length,
                    "output_length": rng.randint(16, 64),
                    "hash_ids": hash_ids,
                }
            )
        )
    with open(args.out, "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} requests over {times[-1]:.1f} s to {args.out}")


if __name__ == "__main__":
    main()
