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


def construct_from_text(cls, text, seed):
    """cls(<text>): the constructor's arguments written as in Python (`784, 10, hidden=128`)."""
    args, kwargs = eval("(lambda *a, **k: (a, k))(%s)" % (text or ""), {"torch": torch, "nn": nn})
    return construct(cls, args, kwargs, seed)


def check_module(obj):
    if not isinstance(obj, nn.Module):
        raise MinoInteropError("a TorchModule wraps a torch.nn.Module, got %s" % type(obj).__name__)
    return obj


def parameters(module):
    """(name, tensor) for every parameter, in named_parameters order, detached (same memory)."""
    return [(n, p.detach()) for n, p in module.named_parameters()]


def buffers(module):
    """(name, tensor) for every buffer in the state dict (not those registered persistent=False), same memory."""
    kept = set(module.state_dict().keys())
    return [(n, b) for n, b in module.named_buffers() if n in kept]


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


def backward(out, leaves, upstream, needs, retain):
    """The vector-Jacobian product upstream · ∂out/∂leaf for each leaf Mino needs (None elsewhere).

    retain: Mino's backward keeps its graph for another pass, so torch's must stay too;
    otherwise torch frees the saved activations as it goes (as loss.backward() does),
    and their memory serves the gradients at once instead of going back to the system.
    """
    wanted = [i for i, (l, n) in enumerate(zip(leaves, needs)) if n and l.requires_grad]
    grads = [None] * len(leaves)
    if not wanted or not out.requires_grad:
        return grads
    found = torch.autograd.grad(out, [leaves[i] for i in wanted], upstream, retain_graph=bool(retain), allow_unused=True)
    for i, g in zip(wanted, found):
        # Unused by the forward: its gradient is zero, as Mino's tape would give.
        grads[i] = torch.zeros_like(leaves[i]) if g is None else g
    return grads


def write_parameters(module, names, tensors):
    """Copies Mino's parameter and buffer values into the module's own (skipping those that are the same memory)."""
    own = dict(module.named_parameters())
    own.update(module.named_buffers())
    with torch.no_grad():
        for n, t in zip(names, tensors):
            p = own[n]
            if p.data_ptr() != t.data_ptr() or p.shape != t.shape:
                p.copy_(t)


def dtype_name(t):
    return str(t.dtype)


# --- mino import: a traced module as mu source --------------------------------

import inspect
import operator
import traceback

import torch.fx as fx
import torch.nn.functional as F

_OPERATORS = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
              operator.matmul: "@", operator.pow: "**", operator.neg: "-", operator.iadd: "+", operator.imul: "*"}
_ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Identity)
# Layers the .mu language has no component for yet.
_WAITING = tuple(getattr(nn, n) for n in (
    "Conv3d", "ConvTranspose2d", "MaxPool1d", "GroupNorm", "LSTMCell", "GRUCell", "MultiheadAttention") if hasattr(nn, n))
_RECURRENT = (nn.LSTM, nn.GRU, nn.RNN)


def _mu_tuple(values):
    return "(, " + " ".join(str(int(v)) for v in values) + ")"


def _pair(v, n=2):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
# torch functions Mino writes as a tensor method.
_AS_METHOD = {torch.flatten: "flatten", torch.reshape: "reshape", torch.squeeze: "squeeze", torch.unsqueeze: "unsqueeze",
              torch.t: "t"}


class _EveryChildALeaf(fx.Tracer):
    """Each submodule is one call (its own component, imported on its own), not inlined."""

    def is_leaf_module(self, m, qualname):
        return True


def _explicit(node):
    """The node's keyword arguments less those fx filled in with their defaults
    (F.softmax's _stacklevel=3, dtype=None), and `inplace`, which changes no value."""
    kwargs = dict(node.kwargs)
    try:
        parameters = inspect.signature(node.target).parameters if node.op == "call_function" else {}
    except (TypeError, ValueError):
        parameters = {}
    for k, v in list(kwargs.items()):
        p = parameters.get(k)
        if k.startswith("_") or k == "inplace" or (
                p is not None and not isinstance(v, fx.Node) and type(v) is type(p.default) and v == p.default):
            del kwargs[k]
    return kwargs


def _is_flatten(node):
    return (node.op == "call_method" and node.target == "flatten") or (
        node.op == "call_function" and node.target is torch.flatten)


def _symbol(name):
    return name.replace("_", "-") if name.isidentifier() and not name.startswith("_") else name


class Importer:
    """Writes a module tree as .mu: one defmu per module class with a forward, torch.nn
    layers for the built-in layers Mino has. Every node that does not map is collected,
    and all are reported at once."""

    def __init__(self, op_names, methods):
        self.ops = set(op_names)
        self.methods = set(methods)
        self.problems = []
        self.defmus = []          # (class name, source), children first
        self.defmu_sources = {}   # class name -> source, to reuse identical ones

    def constant(self, v, where):
        if v is None or isinstance(v, bool):
            return repr(v)
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, torch.dtype):
            return str(v)
        if isinstance(v, slice):
            return "(slice %s %s %s)" % (self.constant(v.start, where), self.constant(v.stop, where), self.constant(v.step, where))
        if isinstance(v, tuple):
            return "(, " + " ".join(self.constant(x, where) for x in v) + ")"
        if isinstance(v, list):
            return "[" + " ".join(self.constant(x, where) for x in v) + "]"
        self.problems.append("%s: the argument %r (%s) has no .mu spelling" % (where, v, type(v).__name__))
        return "None"

    def layer(self, m):
        """The .mu constructor of a built-in layer, or None."""
        t = type(m)
        if t is nn.Linear:
            return "(torch.nn.Linear :in_features %d :out_features %d :bias %s)" % (
                m.in_features, m.out_features, m.bias is not None)
        if t in _ACTIVATIONS:
            return "(torch.nn.%s)" % t.__name__
        if t is nn.Dropout:
            return "(torch.nn.Dropout :p %r)" % float(m.p)
        if t in (nn.Conv1d, nn.Conv2d) and isinstance(m.padding, tuple):
            return ("(torch.nn.%s :in_channels %d :out_channels %d :kernel_size %s :stride %s :padding %s :dilation %s "
                    ":groups %d :bias %s)" % (t.__name__, m.in_channels, m.out_channels, _mu_tuple(m.kernel_size),
                                             _mu_tuple(m.stride), _mu_tuple(m.padding), _mu_tuple(m.dilation),
                                             m.groups, m.bias is not None))
        if t is nn.MaxPool2d and _pair(m.dilation) == (1, 1) and not m.ceil_mode:
            return "(torch.nn.MaxPool2d :kernel_size %s :stride %s :padding %s)" % (
                _mu_tuple(_pair(m.kernel_size)), _mu_tuple(_pair(m.stride)), _mu_tuple(_pair(m.padding)))
        if t is nn.AvgPool2d and not m.ceil_mode and m.count_include_pad:
            return "(torch.nn.AvgPool2d :kernel_size %s :stride %s :padding %s)" % (
                _mu_tuple(_pair(m.kernel_size)), _mu_tuple(_pair(m.stride)), _mu_tuple(_pair(m.padding)))
        if t is nn.AdaptiveAvgPool2d and None not in _pair(m.output_size):
            return "(torch.nn.AdaptiveAvgPool2d :output_size %s)" % _mu_tuple(_pair(m.output_size))
        if t is nn.Flatten:
            return "(torch.nn.Flatten :start_dim %d :end_dim %d)" % (m.start_dim, m.end_dim)
        if t is nn.LayerNorm and m.bias is not None or (t is nn.LayerNorm and not m.elementwise_affine):
            return "(torch.nn.LayerNorm :normalized_shape %s :eps %r :elementwise_affine %s)" % (
                _mu_tuple(m.normalized_shape), float(m.eps), m.elementwise_affine)
        if t in (nn.BatchNorm1d, nn.BatchNorm2d) and m.affine and m.track_running_stats and m.momentum is not None:
            # Its buffers (running_mean, running_var, num_batches_tracked) go to the weights file.
            return "(torch.nn.%s :num_features %d :eps %r :momentum %r)" % (
                t.__name__, m.num_features, float(m.eps), float(m.momentum))
        if t is nn.Embedding and m.max_norm is None:
            pad = "" if m.padding_idx is None else " :padding_idx %d" % m.padding_idx
            return "(torch.nn.Embedding :num_embeddings %d :embedding_dim %d%s)" % (m.num_embeddings, m.embedding_dim, pad)
        if t in (nn.GELU, nn.SiLU) and getattr(m, "approximate", "none") == "none":
            return "(torch.nn.%s)" % t.__name__
        if t is nn.LeakyReLU:
            return "(torch.nn.LeakyReLU :negative_slope %r)" % float(m.negative_slope)
        if t is nn.ELU:
            return "(torch.nn.ELU :alpha %r)" % float(m.alpha)
        if t in _RECURRENT and not m.bidirectional and m.proj_size == 0 and (m.dropout == 0 or m.num_layers == 1):
            kind = "" if t is not nn.RNN else " :nonlinearity \"%s\"" % m.nonlinearity
            return "(torch.nn.%s :input_size %d :hidden_size %d :num_layers %d%s :bias %s :batch_first %s)" % (
                t.__name__, m.input_size, m.hidden_size, m.num_layers, kind, m.bias, m.batch_first)
        if t is nn.Sequential:
            parts = [self.layer(c) for c in m]
            if all(p is not None for p in parts):
                return "(torch.nn.Sequential " + " ".join(parts) + ")"
        return None

    def module(self, m, path):
        """The .mu expression that builds `m` (a layer, or a defmu's constructor call)."""
        made = self.layer(m)
        if made is not None:
            return made
        if isinstance(m, _RECURRENT):
            unsupported = [what for what, on in (("bidirectional=True", m.bidirectional), ("proj_size=%d" % m.proj_size, m.proj_size),
                                                 ("dropout=%r between layers" % m.dropout, m.dropout)) if on]
            self.problems.append("%s (%s): %s has no Mino layer (Mino's %s is one-directional, without projection or dropout)"
                                 % (path, type(m).__name__, ", ".join(unsupported), type(m).__name__))
            return "None"
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            unsupported = [what for what, on in (("affine=False", not m.affine),
                                                 ("track_running_stats=False", not m.track_running_stats),
                                                 ("momentum=None", m.momentum is None)) if on]
            self.problems.append("%s (%s): %s has no Mino layer (Mino's batch norm is affine, with running statistics "
                                 "and a momentum)" % (path, type(m).__name__, ", ".join(unsupported)))
            return "None"
        if isinstance(m, _WAITING):
            self.problems.append("%s (%s): not supported yet: the .mu language has no %s layer component yet "
                                 "(the Model layer has one; import maps Linear, activations, Dropout and Sequential)"
                                 % (path, type(m).__name__, type(m).__name__))
            return "None"
        if type(m).forward is nn.Module.forward:
            self.problems.append("%s (%s): has no forward to trace" % (path, type(m).__name__))
            return "None"
        return self.defmu(m, path)

    def defmu(self, m, path):
        cls = type(m).__name__
        try:
            graph = _EveryChildALeaf().trace(m)
        except Exception as e:
            # The lines of the user's own code where tracing failed (fx's frames say little).
            source_file = getattr(sys.modules.get(type(m).__module__), "__file__", None)
            frames = ["  File \"%s\", line %d, in %s\n    %s\n" % (f.filename, f.lineno, f.name, (f.line or "").strip())
                      for f in traceback.extract_tb(e.__traceback__) if f.filename == source_file]
            raise MinoInteropError(
                "torch.fx cannot trace %s (%s): %s: %s\n%s"
                "Hint: fx runs forward on symbolic values, so Python control flow on a tensor's value "
                "(if/while on data, int(x), .item()) cannot be traced. Rewrite it with torch.where or "
                "without data-dependent branches, or keep the module in PyTorch as "
                "(torch-module \"file.py\" \"%s\")."
                % (path, cls, type(e).__name__, e, "".join(frames), cls)) from None
        own = dict(m.named_parameters(recurse=False))
        buffers = dict(m.named_buffers(recurse=False))
        children = dict(m.named_children())
        inputs, body, expr = [], [], {}
        users = {n: len(n.users) for n in graph.nodes}
        result = "None"
        for node in graph.nodes:
            where = "%s node %s (%s %s)" % (path, node.name, node.op, getattr(node.target, "__name__", node.target))
            def arg(a):
                if isinstance(a, fx.Node):
                    return expr[a]
                return self.constant(a, where)
            kwargs = _explicit(node)
            positional = list(node.args)
            if _is_flatten(node):
                # Mino's flatten takes start_dim only (through the last axis): end_dim must be -1.
                end = kwargs.pop("end_dim", positional[2] if len(positional) > 2 else -1)
                del positional[2:]
                if end != -1:
                    self.problems.append("%s: flatten with end_dim=%r has no Mino op (only through the last axis)" % (where, end))
            args = " ".join([arg(a) for a in positional] + [":%s %s" % (_symbol(k), arg(v)) for k, v in kwargs.items()])
            text = None
            if node.op == "placeholder":
                name = _symbol(node.target.lstrip("*"))
                inputs.append(name)
                expr[node] = name
                continue
            elif node.op == "get_attr":
                if node.target in own:
                    expr[node] = _symbol(node.target)
                elif node.target in buffers:
                    self.problems.append("%s: reads the buffer %s: a mu's own state is parameters only (buffers come "
                                         "with built-in layers such as BatchNorm2d)" % (where, node.target))
                    expr[node] = "None"
                else:
                    self.problems.append("%s: reads %s, which is not a parameter of %s itself" % (where, node.target, cls))
                    expr[node] = "None"
                continue
            elif node.op == "call_module":
                if node.target not in children:
                    self.problems.append("%s: calls %s, which is not a child of %s itself" % (where, node.target, cls))
                    text = "None"
                else:
                    text = "(%s %s)" % (_symbol(node.target), args)
            elif node.op == "call_function":
                f = node.target
                if f is operator.getitem:
                    # A tuple's item (a recurrent layer's (output, (h, c))) or a tensor's index: .mu's get.
                    index = positional[1] if len(positional) == 2 else None
                    parts = index if isinstance(index, tuple) else (index,)
                    if any(p is None for p in parts):
                        # Python's None adds an axis; .mu's get keeps one whole there.
                        self.problems.append("%s: indexing with None (a new axis) has no Mino spelling; use unsqueeze" % where)
                    text = "(get %s)" % args
                elif f in _AS_METHOD and ("torch." + _AS_METHOD[f] in self.ops or _AS_METHOD[f] in self.methods):
                    text = "(.%s %s)" % (_AS_METHOD[f], args)
                elif f in _OPERATORS:
                    text = "(%s %s)" % (_OPERATORS[f], args)
                else:
                    name = getattr(f, "__name__", None)
                    found = None
                    for prefix, mod in (("torch.", torch), ("F.", F)):
                        if name and getattr(mod, name, None) is f and prefix + name in self.ops:
                            found = prefix + name
                            break
                    if found is None:
                        self.problems.append("%s: %s has no Mino op (not in the op registry)"
                                             % (where, getattr(f, "__module__", "") + "." + str(name)))
                        text = "None"
                    else:
                        text = "(%s %s)" % (found, args)
            elif node.op == "call_method":
                if node.target in self.methods or ("torch." + node.target) in self.ops:
                    text = "(.%s %s)" % (node.target, args)
                else:
                    self.problems.append("%s: the tensor method %s has no Mino op" % (where, node.target))
                    text = "None"
            elif node.op == "output":
                result = arg(node.args[0])
                continue
            if users[node] > 1:
                local = "v-" + _symbol(node.name)
                body.append("(setv %s %s)" % (local, text))
                expr[node] = local
            else:
                expr[node] = text
        components = inputs + [_symbol(n) for n in own] + [_symbol(n) for n in children]
        source = "(defmu %s [%s]\n  %s)" % (cls, " ".join(components), "\n  ".join(body + [result]))
        name = cls
        n = 1
        while name in self.defmu_sources and self.defmu_sources[name] != source.replace("(defmu %s " % cls, "(defmu %s " % name, 1):
            n += 1
            name = "%s-%d" % (cls, n)
        source = source.replace("(defmu %s " % cls, "(defmu %s " % name, 1)
        bindings = []
        for pname, p in own.items():
            bindings.append(":%s (torch.nn.Parameter (torch.zeros (, %s) :dtype %s))"
                            % (_symbol(pname), " ".join(str(d) for d in p.shape), p.dtype))
        for cname, c in children.items():
            bindings.append(":%s %s" % (_symbol(cname), self.module(c, path + "." + cname)))
        if name not in self.defmu_sources:
            self.defmu_sources[name] = source
            self.defmus.append(source)
        return "(%s %s)" % (name, " ".join(bindings))


def import_module(module, op_names, methods, label):
    """(defmu sources, the model's constructor expression, state-dict items) of a module, or an error listing every problem."""
    importer = Importer(op_names, methods)
    model = importer.module(module, label)
    if importer.problems:
        raise MinoInteropError("cannot import %s: %d node%s cannot be written in Mino:\n  %s" % (
            label, len(importer.problems), "" if len(importer.problems) == 1 else "s", "\n  ".join(importer.problems)))
    state = [(k, v.detach()) for k, v in module.state_dict().items()]
    return importer.defmus, model, state
"""#
}
