/// The source of `mino_interop`, the Python side of ``TorchModule`` and of
/// `mino import`: loading user `.py` files, a module's forward with its
/// parameters taken from Mino, and the vector-Jacobian product through
/// `torch.autograd`. Loaded once, on the first use, beside `mino_torch`.
enum TorchInteropSource {
    static let moduleName = "mino_interop"

    static let text = #"""
"""mino_interop: PyTorch modules as Mino components."""
import linecache
import sys
import types

import torch
import torch.nn as nn
from torch.func import functional_call


class MinoInteropError(Exception):
    """A mistake in what the user asked for (a missing class): Mino's `.argument`, no traceback."""


_loaded = 0


def load_source(source, filename):
    """Runs a .py text as a fresh module; its lines go to linecache so tracebacks quote them."""
    global _loaded
    _loaded += 1
    name = "mino_user_%d" % _loaded
    module = types.ModuleType(name)
    module.__file__ = filename
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    # In sys.modules while it runs and after, as an imported module would be
    # (dataclasses, pickling and fx look classes up there).
    sys.modules[name] = module
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def module_class(module, class_name, filename):
    """The torch.nn.Module subclass `class_name` of a loaded file, or an error listing those it has."""
    cls = getattr(module, class_name, None)
    if cls is None:
        found = sorted(n for n, v in vars(module).items()
                       if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module.__name__)
        raise MinoInteropError("%s defines no class '%s'; its torch.nn.Module classes: %s"
                               % (filename, class_name, ", ".join(found) or "none"))
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise MinoInteropError("'%s' in %s is a %s, not a torch.nn.Module subclass"
                               % (class_name, filename, type(cls).__name__))
    return cls


def construct(cls, args, kwargs, seed):
    """cls(*args, **kwargs); with a seed, its initialisation draws from torch's generator
    seeded with it, and the global generator is left as it was (fork_rng)."""
    if seed is None:
        return cls(*args, **kwargs)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(*args, **kwargs)


def check_module(obj):
    if not isinstance(obj, nn.Module):
        raise MinoInteropError("a TorchModule wraps a torch.nn.Module, got %s" % type(obj).__name__)
    return obj


def parameters(module):
    """(name, tensor) for every parameter, in named_parameters order, detached (same memory)."""
    return [(n, p.detach()) for n, p in module.named_parameters()]


def forward(module, names, tensors, needs, n_inputs, record):
    """The module's forward on `tensors` (inputs, then parameters under `names`).

    Recording, each tensor Mino wants a gradient for becomes a fresh leaf with
    requires_grad (the same memory), and the output keeps torch's graph for
    `backward`; otherwise nothing is recorded.
    """
    if record:
        leaves = [t.detach().requires_grad_(True) if n else t for t, n in zip(tensors, needs)]
        with torch.enable_grad():
            out = functional_call(module, dict(zip(names, leaves[n_inputs:])), tuple(leaves[:n_inputs]))
    else:
        leaves = None
        with torch.no_grad():
            out = functional_call(module, dict(zip(names, tensors[n_inputs:])), tuple(tensors[:n_inputs]))
    if not isinstance(out, torch.Tensor):
        raise MinoInteropError("%s.forward returned %s; a TorchModule's forward must return one tensor"
                               % (type(module).__name__, type(out).__name__))
    return out, leaves


def backward(out, leaves, upstream, needs):
    """The vector-Jacobian product upstream · ∂out/∂leaf for each leaf Mino needs (None elsewhere).

    retain_graph: Mino's tape may run backward through the same call again,
    so torch's graph lives as long as Mino's operation holds it.
    """
    wanted = [i for i, (l, n) in enumerate(zip(leaves, needs)) if n and l.requires_grad]
    grads = [None] * len(leaves)
    if not wanted or not out.requires_grad:
        return grads
    found = torch.autograd.grad(out, [leaves[i] for i in wanted], upstream, retain_graph=True, allow_unused=True)
    for i, g in zip(wanted, found):
        # Unused by the forward: its gradient is zero, as Mino's tape would give.
        grads[i] = torch.zeros_like(leaves[i]) if g is None else g
    return grads


def write_parameters(module, names, tensors):
    """Copies Mino's parameter values into the module's own (skipping those that are the same memory)."""
    with torch.no_grad():
        for n, t in zip(names, tensors):
            p = module.get_parameter(n)
            if p.data_ptr() != t.data_ptr() or p.shape != t.shape:
                p.copy_(t)


def dtype_name(t):
    return str(t.dtype)
"""#
}
