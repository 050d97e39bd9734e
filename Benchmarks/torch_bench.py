#!/usr/bin/env python3
"""PyTorch counterparts of Mino's benchmarks (run by `mino-bench` in the same run).

Each mode prints one JSON object per measurement on stdout, one per line:

  torch_bench.py matmul --dtype float32 --sizes 64,128 --threads 1 [--min-time 0.2]
      {"kind": "matmul", "n": 64, "dtype": "float32", "threads": 1, "gflops": ...}
  torch_bench.py train --model digits|mnist --optimizer adam|sgd --threads 1 [--seconds 1.5]
      {"kind": "train", ..., "steps_per_s": ..., "peak_rss_mb": ..., "final_loss": ...}
  torch_bench.py tiny --threads 1
      {"kind": "tiny", "threads": 1, "us_per_call": ...}
  torch_bench.py lenet --threads 1 [--seconds 1.5]
      {"kind": "lenet", "threads": 1, "steps_per_s": ..., "peak_rss_mb": ...}

The shapes, seeds, learning rates, warm-up and repetition scheme mirror
Benchmarks/MinoBench so both sides run the same work. Timings are medians of
repeated blocks after a warm-up. Peak memory is this process's own maximum
resident set (getrusage), so each side is measured in a process of its own.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# The two training shapes: layer sizes, activation, batch size.
MODELS = {
    "digits": ([64, 32, 10], "sigmoid", 64),
    "mnist": ([784, 512, 512, 10], "relu", 128),
    # Layer models (Adam only): GenPyTorch's LeNet on [64 1 32 32]; the LSTM language
    # model (vocabulary 64, embedding 64, hidden 256, sequence 35, batch 32).
    "lenet": (None, None, 64),
    "lstm": (None, None, 32),
}
SEQUENCE, VOCABULARY = 35, 64


class LanguageModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCABULARY, 64)
        self.lstm = torch.nn.LSTM(64, 256)
        self.decoder = torch.nn.Linear(256, VOCABULARY)

    def forward(self, ids):
        h, _ = self.lstm(self.embedding(ids))
        return self.decoder(h.reshape(-1, 256))


def build_layer_model(name, batch, g):
    """The model and its data batches, as TrainingBench.runLayerModel builds them."""
    if name == "lenet":
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 6 * 6, 120), nn.ReLU(),
                              nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
        xs = [torch.randn(batch, 1, 32, 32, generator=g) for _ in range(DATA_BATCHES)]
        ys = [torch.randint(0, 10, (batch,), generator=g) for _ in range(DATA_BATCHES)]
    else:
        model = LanguageModel()
        xs = [torch.randint(0, VOCABULARY, (SEQUENCE, batch), generator=g) for _ in range(DATA_BATCHES)]
        ys = [torch.randint(0, VOCABULARY, (SEQUENCE * batch,), generator=g) for _ in range(DATA_BATCHES)]
    return model, xs, ys
LEARNING_RATES = {"adam": 1e-3, "sgd": 0.05}
DATA_BATCHES = 8


def emit(record):
    print(json.dumps(record), flush=True)


def peak_rss_mb():
    """This process's peak resident set in MiB.

    On Linux, VmHWM (/proc/self/status): ru_maxrss is carried across execve, so a
    child started by a large parent would report the parent's peak instead.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def timed_blocks(body, calls, repeats):
    """Seconds per call: the median over `repeats` blocks of `calls` calls."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            body()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def calibrate(body, min_time):
    """How many calls make a block of about `min_time` seconds."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            body()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or calls >= 1 << 20:
            return max(1, int(calls * min_time / max(elapsed, 1e-9)))
        calls *= 4


def bench_matmul(args):
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    g = torch.Generator().manual_seed(0)
    for n in [int(s) for s in args.sizes.split(",") if s]:
        a = torch.randn(n, n, generator=g, dtype=dtype)
        b = torch.randn(n, n, generator=g, dtype=dtype)
        out = torch.empty(n, n, dtype=dtype)
        body = lambda: torch.mm(a, b, out=out)
        body()
        calls = calibrate(body, args.min_time)
        seconds = timed_blocks(body, calls, args.repeats)
        emit({"kind": "matmul", "n": n, "dtype": args.dtype, "threads": args.threads,
              "gflops": 2.0 * n ** 3 / seconds / 1e9})


def build_mlp(sizes, activation):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid() if activation == "sigmoid" else torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def bench_train(args):
    sizes, activation, batch = MODELS[args.model]
    torch.manual_seed(0)
    if sizes is None:
        model, xs, ys = build_layer_model(args.model, batch, torch.Generator().manual_seed(1))
    else:
        model = build_mlp(sizes, activation)
    lr = LEARNING_RATES[args.optimizer]
    if args.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    if sizes is not None:
        g = torch.Generator().manual_seed(1)
        xs = [torch.randn(batch, sizes[0], generator=g) for _ in range(DATA_BATCHES)]
        ys = [torch.randint(0, sizes[-1], (batch,), generator=g) for _ in range(DATA_BATCHES)]
    state = {"i": 0, "loss": 0.0}

    def step():
        i = state["i"] % DATA_BATCHES
        state["i"] += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i]), ys[i])
        loss.backward()
        opt.step()
        state["loss"] = loss

    for _ in range(args.warmup):
        step()
    calls = calibrate(step, args.seconds / args.repeats)
    seconds = timed_blocks(step, calls, args.repeats)
    emit({"kind": "train", "model": args.model, "optimizer": args.optimizer, "threads": args.threads,
          "steps_per_s": 1.0 / seconds, "peak_rss_mb": peak_rss_mb(),
          "final_loss": float(state["loss"].detach())})


def bench_tiny(args):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(10, 10, generator=g)
    w = torch.randn(10, 10, generator=g, requires_grad=True)
    b = torch.randn(10, generator=g, requires_grad=True)

    def call():
        y = torch.sigmoid(x @ w + b).sum()
        y.backward()
        w.grad = None
        b.grad = None

    for _ in range(200):
        call()
    calls = calibrate(call, args.min_time)
    seconds = timed_blocks(call, calls, args.repeats)
    emit({"kind": "tiny", "threads": args.threads, "us_per_call": seconds * 1e6})


# GenPyTorch's LeNet (Examples/lenet.py) on 32x32 inputs: the peer of the mu model
# that embeds it as a torch-module (Benchmarks/MinoBench/InteropBench.swift).
LENET_BATCH = 64


def bench_lenet(args):
    import os
    import runpy
    here = os.path.dirname(os.path.abspath(__file__))
    MyModel = runpy.run_path(os.path.join(here, "..", "Examples", "lenet.py"))["MyModel"]
    torch.manual_seed(0)
    model = MyModel()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    xs = [torch.randn(LENET_BATCH, 1, 32, 32, generator=g) for _ in range(DATA_BATCHES)]
    ys = [torch.randint(0, 10, (LENET_BATCH,), generator=g) for _ in range(DATA_BATCHES)]
    state = {"i": 0}

    def step():
        i = state["i"] % DATA_BATCHES
        state["i"] += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i]), ys[i])
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    calls = calibrate(step, args.seconds / args.repeats)
    seconds = timed_blocks(step, calls, args.repeats)
    emit({"kind": "lenet", "threads": args.threads, "steps_per_s": 1.0 / seconds, "peak_rss_mb": peak_rss_mb()})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["matmul", "train", "tiny", "lenet", "version"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--sizes", default="64,128,256,512,1024,2048")
    parser.add_argument("--model", default="digits", choices=sorted(MODELS))
    parser.add_argument("--optimizer", default="adam", choices=sorted(LEARNING_RATES))
    parser.add_argument("--seconds", type=float, default=1.5, help="time to measure a training loop")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per timed block")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.mode == "version":
        emit({"kind": "version", "torch": torch.__version__, "threads": torch.get_num_threads()})
    elif args.mode == "matmul":
        bench_matmul(args)
    elif args.mode == "train":
        bench_train(args)
    elif args.mode == "lenet":
        bench_lenet(args)
    else:
        bench_tiny(args)


if __name__ == "__main__":
    main()
