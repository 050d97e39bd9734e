"""The Python side of mino-bench's language rows: the same calls in CPython.

    python lang_bench.py call      # def f(x, y): return x + y; f(1, 2)
    python lang_bench.py tiny-add  # torch.add(x, y) on 10 elements
    python lang_bench.py startup   # seconds to start python and import torch (run in a fresh process)

Each prints one JSON line with microseconds per call (or seconds).
"""
import json
import sys
import time


def per_call(fn, min_time=0.2, repeats=5):
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or calls >= 1 << 24:
            break
        calls *= 4
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    samples.sort()
    return samples[len(samples) // 2] * 1e6


def main():
    what = sys.argv[1]
    if what == "call":
        def f(x, y):
            return x + y
        print(json.dumps({"us_per_call": per_call(lambda: f(1, 2))}))
    elif what == "tiny-add":
        import torch
        torch.set_num_threads(1)
        x = torch.randn(10)
        y = torch.randn(10)
        print(json.dumps({"us_per_call": per_call(lambda: torch.add(x, y))}))
    else:
        raise SystemExit("unknown benchmark " + what)


if __name__ == "__main__":
    main()
