/// The source of `mino_torch`, the small Python module the torch backend
/// loads once into the embedded interpreter.
///
/// Each function does one Mino op's whole job, so every Mino op is one call
/// from Swift into Python; ops that map onto a single torch function call
/// that function directly (see ``TorchOpTable``). Every tensor made here has
/// `requires_grad=False`: Mino's own tape does autodiff, torch's never records.
///
/// Errors: `MinoArgumentError` becomes a `MinoError` of kind `.argument`
/// (an index out of range, with the reference backend's words); any other
/// exception becomes `.backend` with its type, message and traceback.
enum TorchHelperSource {
    /// The module's name in `sys.modules` and in tracebacks.
    static let moduleName = "mino_torch"

    static let text = #"""
"""mino_torch: kernels of Mino's torch backend that take more than one torch call."""
import gc
import sys

import torch
import torch.nn.functional as F


class MinoArgumentError(Exception):
    """A bad argument only the data shows (an index out of range): Mino's `.argument`."""


_I64_MAX = 9223372036854775807
_TWO_63 = 9223372036854775808.0


# --- Start-up --------------------------------------------------------------

def describe():
    """What this torch offers: version, CUDA, threads."""
    cuda = bool(torch.cuda.is_available())
    return (torch.__version__, cuda, torch.cuda.device_count() if cuda else 0, torch.get_num_threads())


def set_threads(count):
    torch.set_num_threads(int(count))
    return torch.get_num_threads()


# --- Host transfer ---------------------------------------------------------
# `view` is a memoryview of Swift memory that lives only for this call: the
# `finally` blocks drop every local that refers to it, so not even a
# traceback kept by an error can reach that memory afterwards.

def upload(view, dtype, shape, device):
    """One copy: Swift memory -> a tensor torch owns (clone on cpu, .to on cuda)."""
    src = None
    try:
        src = torch.frombuffer(view, dtype=dtype).reshape(shape)
        return src.clone() if device.type == "cpu" else src.to(device)
    finally:
        src = None
        view = None


def download_into(view, t, dtype):
    """One copy: any tensor (strided, on any device) -> Swift memory, row-major."""
    dst = None
    try:
        dst = torch.frombuffer(view, dtype=dtype)
        dst.copy_(t.reshape(-1))
    finally:
        dst = None
        view = None


def empty(shape, dtype, device):
    return torch.empty(shape, dtype=dtype, device=device)


# --- Elementwise -----------------------------------------------------------

def sign(x):
    """torch.sign, but NaN stays NaN (the reference's rule; torch gives 0)."""
    s = torch.sign(x)
    return torch.where(torch.isnan(x), x, s) if x.is_floating_point() else s


# Comparisons give 1 or 0 in the operands' dtype, not bool: written straight
# into a tensor of that dtype (`out=`), which is one vectorized pass; making a
# bool tensor and converting it is several times slower on cpu.
def eq(a, b, shape): return torch.eq(a, b, out=a.new_empty(shape))
def ne(a, b, shape): return torch.ne(a, b, out=a.new_empty(shape))
def lt(a, b, shape): return torch.lt(a, b, out=a.new_empty(shape))
def le(a, b, shape): return torch.le(a, b, out=a.new_empty(shape))
def gt(a, b, shape): return torch.gt(a, b, out=a.new_empty(shape))
def ge(a, b, shape): return torch.ge(a, b, out=a.new_empty(shape))


def select(c, a, b):
    """c != 0 ? a : b (NaN counts as true, as in the reference)."""
    return torch.where(c != 0, a, b)


def cast(x, dtype):
    """x.to(dtype); floats to int64 truncate toward zero and saturate
    (NaN -> 0, beyond the range -> the nearest end), where torch's own
    conversion is undefined."""
    if dtype == torch.int64 and x.is_floating_point():
        big = x >= _TWO_63
        y = torch.where(torch.isnan(x) | big, 0, x).clamp_(min=-_TWO_63)
        return y.to(torch.int64).masked_fill_(big, _I64_MAX)
    return x.to(dtype)


# --- Shapes ----------------------------------------------------------------

def _box(r):
    """Slice ranges given flat as start, end, step for each axis."""
    return tuple(slice(r[i], r[i + 1], r[i + 2]) for i in range(0, len(r), 3))


def slice_(x, r):
    return x[_box(r)]


def slice_scatter(src, r, shape):
    out = src.new_zeros(shape)
    out[_box(r)] = src
    return out


# --- Indexing --------------------------------------------------------------
# On cpu torch checks indices itself; its error is then replaced by the
# reference backend's (the first bad index, row-major). On cuda a bad index
# is a device-side assert that ruins the context, so indices are checked first.

def _check(op, idx, size):
    bad = (idx < 0) | (idx >= size)
    if bool(bad.any()):
        first = int(idx[bad][0])
        raise MinoArgumentError(f"{op}: index {first} is out of range for an axis of size {size}")


def _checked(op, idx, size, compute):
    # compute(), with an index out of range reported as MinoArgumentError.
    if idx.is_cuda:
        _check(op, idx, size)
    try:
        return compute()
    except (IndexError, RuntimeError):
        _check(op, idx, size)
        raise


def index_select(x, axis, idx):
    return _checked("indexSelect", idx, x.shape[axis], lambda: torch.index_select(x, axis, idx))


def index_add(src, axis, idx, shape):
    return _checked("indexAdd", idx, shape[axis], lambda: src.new_zeros(shape).index_add_(axis, idx, src))


def gather(x, axis, idx):
    return _checked("gather", idx, x.shape[axis], lambda: torch.gather(x, axis, idx))


def scatter_add(src, axis, idx, shape):
    return _checked("scatterAdd", idx, shape[axis], lambda: src.new_zeros(shape).scatter_add_(axis, idx, src))


# --- Fused composites ------------------------------------------------------

def cross_entropy(logits, labels, reduction):
    """F.cross_entropy, with every label checked first: torch would silently
    skip a label equal to its ignore_index. The error is the one the default
    implementation (log-softmax, then gather) gives."""
    classes = logits.shape[1]
    low, high = torch.aminmax(labels)
    if low.item() < 0 or high.item() >= classes:
        _check("gather", labels, classes)
    return F.cross_entropy(logits, labels, reduction=reduction)


def mse(a, b, reduction):
    return F.mse_loss(a, b, reduction=reduction)


def bce_logits(x, y, reduction):
    return F.binary_cross_entropy_with_logits(x, y, reduction=reduction)


def batch_norm(x, running_mean, running_var, weight, bias, training, eps):
    """F.batch_norm as a pure op: in training torch gets no running statistics
    to update (Mino's Swift API updates its own) and normalizes with the batch's."""
    if training:
        running_mean = running_var = None
    return F.batch_norm(x, running_mean, running_var, weight, bias, training, 0.0, eps)


def lstm_cell(gates, c):
    """[h' c'] of one LSTM step from gate pre-activations in torch's order i f g o."""
    i, f, g, o = gates.chunk(4, dim=1)
    cell = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.cat([torch.sigmoid(o) * torch.tanh(cell), cell], dim=1)


def lstm_cell_backward(gates, c, upstream):
    """[d gates, d c] of lstm_cell by torch's autograd."""
    with torch.enable_grad():
        g = gates.detach().requires_grad_(True)
        c1 = c.detach().requires_grad_(True)
        dg, dc = torch.autograd.grad(lstm_cell(g, c1), [g, c1], grad_outputs=upstream)
    return torch.cat([dg, dc], dim=1)


def _input_gradient(forward, x, upstream):
    """d input of forward(x) by torch's autograd against upstream."""
    with torch.enable_grad():
        x1 = x.detach().requires_grad_(True)
        (dx,) = torch.autograd.grad(forward(x1), [x1], grad_outputs=upstream)
    return dx


def max_pool2d_backward(x, upstream, kernel, stride, padding):
    """d input of F.max_pool2d: each window's gradient at its first maximum."""
    return _input_gradient(lambda t: F.max_pool2d(t, kernel, stride, padding), x, upstream)


def conv2d_weight_backward(x, weight, upstream, stride, padding, dilation, groups):
    """d weight of F.conv2d (the weight gives its shape): aten's convolution_backward asked for
    the weight's gradient alone, so the forward is not run again."""
    _, dw, _ = torch.ops.aten.convolution_backward(upstream, x, weight, None, list(stride), list(padding),
                                                    list(dilation), False, [0, 0], groups, [False, True, False])
    return dw


def layer_norm_backward(x, weight, upstream, eps):
    """d input of F.layer_norm over the weight's shape."""
    return _input_gradient(lambda t: F.layer_norm(t, weight.shape, weight, None, eps), x, upstream)


def batch_norm_backward(x, weight, upstream, eps):
    """d input of F.batch_norm in training (the batch's statistics)."""
    return _input_gradient(lambda t: F.batch_norm(t, None, None, weight, None, True, 0.0, eps), x, upstream)


# --- Recurrent layers over a sequence --------------------------------------
# Mino's lstm and gru ops give every step's state and what their backward
# pass reads; h comes from torch's own layer (torch.lstm / torch.gru, as
# nn.LSTM and nn.GRU call them), the gates from two products over every step.

def _previous(h0, seq):
    return torch.cat([h0[None], seq[:-1]])


def lstm(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
    """Every step's [h c i f g o] [T N 6H]; c by its recurrence c' = f*c + i*g."""
    seq, _, _ = torch.lstm(x, (h0[None], c0[None]), [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False)
    pre = F.linear(x, w_ih, b_ih) + F.linear(_previous(h0, seq), w_hh, b_hh)
    i, f, g, o = pre.chunk(4, dim=2)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    ig = i * g
    c = torch.empty_like(seq)
    state = c0
    for t in range(x.shape[0]):
        state = torch.addcmul(ig[t], f[t], state, out=c[t])
    return torch.cat([seq, c, i, f, g, o], dim=2)


def lstm_backward(w_hh, c0, out, up):
    """[T+1 N 4H]: each step's d(gate pre-activations), then [dh0 dc0 0 0]."""
    steps, hidden = out.shape[0], w_hh.shape[1]
    dh_carry = out.new_zeros(out.shape[1], hidden)
    dc_carry = dh_carry
    result = out.new_empty(steps + 1, out.shape[1], 4 * hidden)
    for t in reversed(range(steps)):
        h_up, c_up, i_up, f_up, g_up, o_up = up[t].chunk(6, dim=1)
        _, c, i, f, g, o = out[t].chunk(6, dim=1)
        previous_c = c0 if t == 0 else out[t - 1, :, hidden:2 * hidden]
        tc = torch.tanh(c)
        dh = h_up + dh_carry
        total = c_up + dc_carry + dh * o * (1 - tc * tc)
        d = result[t]
        torch.cat([(total * g + i_up) * i * (1 - i), (total * previous_c + f_up) * f * (1 - f),
                   (total * i + g_up) * (1 - g * g), (dh * tc + o_up) * o * (1 - o)], dim=1, out=d)
        dh_carry = d @ w_hh
        dc_carry = total * f
    torch.cat([dh_carry, dc_carry, out.new_zeros(out.shape[1], 2 * hidden)], dim=1, out=result[steps])
    return result


def gru(x, w_ih, w_hh, b_ih, b_hh, h0):
    """Every step's [h r z n hn] [T N 5H] (gates r z n, b_hn inside the reset product)."""
    seq, _ = torch.gru(x, h0[None], [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False)
    ir, iz, i_n = F.linear(x, w_ih, b_ih).chunk(3, dim=2)
    hr, hz, hn = F.linear(_previous(h0, seq), w_hh, b_hh).chunk(3, dim=2)
    r = torch.sigmoid(ir + hr)
    return torch.cat([seq, r, torch.sigmoid(iz + hz), torch.tanh(i_n + r * hn), hn], dim=2)


def gru_backward(w_hh, h0, out, up):
    """[T+1 N 4H]: each step's [dr dz dhn dn] (pre-activations of r, z, n; hn), then [dh0 0 0 0]."""
    steps, hidden = out.shape[0], w_hh.shape[1]
    carry = out.new_zeros(out.shape[1], hidden)
    result = out.new_empty(steps + 1, out.shape[1], 4 * hidden)
    for t in reversed(range(steps)):
        _, r, z, n, hn = out[t].chunk(5, dim=1)
        h_up, ur, uz, un, uhn = up[t].chunk(5, dim=1)
        previous = h0 if t == 0 else out[t - 1, :, :hidden]
        dh = h_up + carry
        dn = (dh * (1 - z) + un) * (1 - n * n)
        dr = (dn * hn + ur) * r * (1 - r)
        dz = (dh * (previous - n) + uz) * z * (1 - z)
        d = result[t]
        torch.cat([dr, dz, dn * r + uhn, dn], dim=1, out=d)
        carry = dh * z + d[:, :3 * hidden] @ w_hh
    torch.cat([carry, out.new_zeros(out.shape[1], 3 * hidden)], dim=1, out=result[steps])
    return result


# --- In-place updates ------------------------------------------------------
# Tensors never require grad, so torch records nothing and no no_grad() is
# needed. Swift has checked shapes and dtypes. Each returns False (Mino then
# runs its op-based update) unless every tensor written is contiguous, so a
# write never lands in a broadcast view.

def sgd(p, g, v, lr, momentum, weight_decay, nesterov):
    if not p.is_contiguous() or (v is not None and not v.is_contiguous()):
        return False
    if weight_decay != 0:
        g = g.add(p, alpha=weight_decay)
    if v is not None:
        v.mul_(momentum).add_(g)
        g = g.add(v, alpha=momentum) if nesterov else v
    p.add_(g, alpha=-lr)
    return True


def adam(p, g, m, v, lr, beta1, beta2, eps, weight_decay, decoupled, step):
    if not (p.is_contiguous() and m.is_contiguous() and v.is_contiguous()):
        return False
    if weight_decay != 0:
        if decoupled:
            p.mul_(1 - lr * weight_decay)
        else:
            g = g.add(p, alpha=weight_decay)
    m.mul_(beta1).add_(g, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    denominator = (v / (1 - beta2 ** step)).sqrt_().add_(eps)
    p.addcdiv_(m, denominator, value=-lr / (1 - beta1 ** step))
    return True


# --- Diagnostics -----------------------------------------------------------

def memory_stats():
    """(objects tracked by gc, blocks allocated by Python's allocator)."""
    return (len(gc.get_objects()), sys.getallocatedblocks())
"""#
}
