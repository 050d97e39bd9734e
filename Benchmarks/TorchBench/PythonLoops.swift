import MinoPython

/// The PyTorch side of the comparisons: the same loops written in Python,
/// run in the embedded interpreter (the same torch, the same thread count),
/// so each Mino block can be timed right beside a Python block.
///
/// The shapes, seeds, learning rates and loops are those of
/// `Benchmarks/torch_bench.py` (the PyTorch peer of `mino-bench`).
enum PythonLoops {
    static let source = #"""
import time
import torch
import torch.nn.functional as F

MODELS = {
    "digits": ([64, 32, 10], "sigmoid", 64),
    "mnist": ([784, 512, 512, 10], "relu", 128),
}
LEARNING_RATES = {"adam": 1e-3, "sgd": 0.05}
DATA_BATCHES = 8


def build_mlp(sizes, activation):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid() if activation == "sigmoid" else torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def train_step(model_name, optimizer):
    """One training step of the model, as a function of no arguments."""
    sizes, activation, batch = MODELS[model_name]
    torch.manual_seed(0)
    model = build_mlp(sizes, activation)
    lr = LEARNING_RATES[optimizer]
    opt = torch.optim.Adam(model.parameters(), lr=lr) if optimizer == "adam" else torch.optim.SGD(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(1)
    xs = [torch.randn(batch, sizes[0], generator=g) for _ in range(DATA_BATCHES)]
    ys = [torch.randint(0, sizes[-1], (batch,), generator=g) for _ in range(DATA_BATCHES)]
    state = {"i": 0}

    def step():
        i = state["i"] % DATA_BATCHES
        state["i"] += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i]), ys[i])
        loss.backward()
        opt.step()

    return step


def tiny_step():
    """sigmoid(x @ w + b).sum() and its backward on 10x10."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(10, 10, generator=g)
    w = torch.randn(10, 10, generator=g, requires_grad=True)
    b = torch.randn(10, generator=g, requires_grad=True)

    def call():
        y = torch.sigmoid(x @ w + b).sum()
        y.backward()
        w.grad = None
        b.grad = None

    return call


def add_step():
    """One torch.add of two 10x10 tensors."""
    x = torch.randn(10, 10)
    return lambda: torch.add(x, x)


def seconds_per_call(body, calls):
    start = time.perf_counter()
    for _ in range(calls):
        body()
    return (time.perf_counter() - start) / calls
"""#

    /// The loops, loaded once.
    static func load(_ python: PythonInterpreter) throws -> PythonObject {
        try python.run(source, filename: "<python-loops>")
    }
}
