"""The Python side of mino-bench's language rows: the same calls in CPython.

    python lang_bench.py call      # def f(x, y): return x + y; f(1, 2)
    python lang_bench.py tiny-add  # torch.add(x, y) on 10 elements

Each prints one JSON line with microseconds per call, timed as torch_bench.py times
(the median of repeated blocks after calibration).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import calibrate, timed_blocks  # noqa: E402
import torch  # noqa: E402


def per_call_us(fn, min_time=0.2, repeats=5):
    for _ in range(1000):
        fn()
    return timed_blocks(fn, calibrate(fn, min_time), repeats) * 1e6


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "call":
        def f(x, y):
            return x + y
        print(json.dumps({"us_per_call": per_call_us(lambda: f(1, 2))}))
    elif what == "tiny-add":
        torch.set_num_threads(1)
        x = torch.randn(10)
        y = torch.randn(10)
        print(json.dumps({"us_per_call": per_call_us(lambda: torch.add(x, y))}))
    else:
        raise SystemExit("usage: lang_bench.py call|tiny-add")


if __name__ == "__main__":
    main()
