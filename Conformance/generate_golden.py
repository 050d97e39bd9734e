#!/usr/bin/env python3
"""Records PyTorch's outputs and gradients for every conformance sample.

The Swift suite derives the samples; this script never re-derives them. It
reads the file `mino conformance --export-samples PATH` writes (each sample's
inputs as raw arrays, its attributes, which inputs are transposed, and the
weights W of the checked scalar sum(output * W), and the PyTorch call its op
declares in the Swift registry), runs each sample through that call, and writes the outputs and the gradients of sum(output * W) into the golden
file the suite compares every backend against.

    python Conformance/generate_golden.py --samples S.safetensors --out Conformance/Golden/golden.safetensors
    python Conformance/generate_golden.py --samples S.safetensors --check Conformance/Golden/golden.safetensors

The second form regenerates in memory and compares with the committed file
(byte for byte, else value by value), exiting 1 when they differ.
Usually run through Conformance/golden.sh.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

# --- safetensors, as the Swift side writes it ------------------------------

NUMPY = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
NAMES = {np.dtype(v): k for k, v in NUMPY.items()}
TORCH = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        return decode_safetensors(f.read())


def decode_safetensors(data):
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buffer = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(buffer[begin:end], dtype=NUMPY[info["dtype"]])
        tensors[name] = array.reshape(info["shape"]).copy()
    return tensors, metadata


def encode_safetensors(tensors, metadata):
    """The file's bytes: wide dtypes first, then by name; JSON with sorted keys, padded to 8."""
    names = sorted(tensors, key=lambda k: (-tensors[k].dtype.itemsize, k))
    header, offset, chunks = {}, 0, []
    for name in names:
        a = tensors[name].copy(order="C")  # (np.ascontiguousarray would turn a 0-d array into 1-d)
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": NAMES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_atomically(path, data):
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


# --- the recipe of each sample ---------------------------------------------
# Each op declares its PyTorch call once, in the Swift registry (TorchCall in
# Sources/MinoCore/Ops+*.swift); the samples file carries it with this sample's
# argument values: {"function": "F.conv2d", "args": [...], "kwargs": {...}},
# an argument {"input": i}, {"inputs": n}, {"dtype": name} or a plain value.
# Nothing here knows an op by name.


def _cmp(f):
    # 1/0 in the dtype the operands promote to (an int64 tensor against a float number: float32).
    return lambda a, b, shape: f(a, b).to(torch.result_type(a, b))


def _slices(r):
    """Slice ranges given flat as start, end, step for each axis."""
    return tuple(slice(r[i], r[i + 1], r[i + 2]) for i in range(0, len(r), 3))


def _slice_scatter(src, r, shape):
    out = torch.zeros(shape, dtype=src.dtype)
    out[_slices(r)] = src
    return out


def _lstm_cell(gates, c):
    """[h' c'] of one LSTM step, gates in torch's order i f g o."""
    i, f, g, o = gates.chunk(4, dim=1)
    cell = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.cat([torch.sigmoid(o) * torch.tanh(cell), cell], dim=1)


def _lstm_cell_backward(gates, c, up):
    """[d gates, d c] of _lstm_cell by torch's autograd, differentiable (create_graph)."""
    with torch.enable_grad():
        a1 = gates if gates.requires_grad else gates.detach().requires_grad_(True)
        c1 = c if c.requires_grad else c.detach().requires_grad_(True)
        da, dc = torch.autograd.grad(_lstm_cell(a1, c1), [a1, c1], grad_outputs=up, create_graph=True)
    return torch.cat([da, dc], dim=1)


def _input_gradient(forward, x, up):
    """d input of forward(x) by torch's autograd against up, differentiable (create_graph)."""
    with torch.enable_grad():
        x1 = x if x.requires_grad else x.detach().requires_grad_(True)
        (dx,) = torch.autograd.grad(forward(x1), [x1], grad_outputs=up, create_graph=True)
    return dx


def _conv2d_weight_backward(x, w, up, stride, padding, dilation, groups):
    """d weight of F.conv2d by torch's autograd against up, differentiable in x and up (the weight gives its shape)."""
    with torch.enable_grad():
        w1 = w.detach().requires_grad_(True)
        (dw,) = torch.autograd.grad(F.conv2d(x, w1, None, stride=stride, padding=padding, dilation=dilation,
                                             groups=groups), [w1], grad_outputs=up, create_graph=True)
    return dw


def _lstm(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
    """Every step's [h c i f g o] [T N 6H] of one LSTM layer, step by step; the h column checked
    against torch's own LSTM (torch.lstm, as nn.LSTM calls it)."""
    h, c, rows = h0, c0, []
    for t in range(x.shape[0]):
        i, f, g, o = (x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        rows.append(torch.cat([h, c, i, f, g, o], dim=1))
    out = torch.stack(rows)
    with torch.no_grad():
        seq, _, last_c = torch.lstm(x, (h0[None], c0[None]), [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False)
    hidden = h0.shape[1]
    if not (torch.allclose(seq, out[:, :, :hidden], rtol=1e-4, atol=1e-5)
            and torch.allclose(last_c[0], out[-1, :, hidden:2 * hidden], rtol=1e-4, atol=1e-5)):
        raise SystemExit("generate_golden.py: the lstm recipe disagrees with torch.lstm")
    return out


def _lstm_backward(w_hh, c0, out, up):
    """[T+1 N 4H]: each step's gradient of the gate pre-activations, then [dh0 dc0 0 0], with the
    activated gates read from lstm's output (the formulas of the op's default, in torch)."""
    steps, hidden = out.shape[0], w_hh.shape[1]
    dh_carry = out.new_zeros(out.shape[1], hidden)
    dc_carry = dh_carry
    rows = []
    for t in reversed(range(steps)):
        h_up, c_up, i_up, f_up, g_up, o_up = up[t].chunk(6, dim=1)
        _, c, i, f, g, o = out[t].chunk(6, dim=1)
        previous_c = c0 if t == 0 else out[t - 1, :, hidden:2 * hidden]
        tc = torch.tanh(c)
        dh = h_up + dh_carry
        total = c_up + dc_carry + dh * o * (1 - tc * tc)
        d = torch.cat([(total * g + i_up) * i * (1 - i), (total * previous_c + f_up) * f * (1 - f),
                       (total * i + g_up) * (1 - g * g), (dh * tc + o_up) * o * (1 - o)], dim=1)
        rows.append(d)
        dh_carry = d @ w_hh
        dc_carry = total * f
    rows.reverse()
    rows.append(torch.cat([dh_carry, dc_carry, out.new_zeros(out.shape[1], 2 * hidden)], dim=1))
    return torch.stack(rows)


def _gru(x, w_ih, w_hh, b_ih, b_hh, h0):
    """Every step's [h r z n hn] [T N 5H] of one GRU layer (gates r z n, b_hn inside the reset
    product), step by step; the h column checked against torch's own GRU (torch.gru)."""
    h, rows = h0, []
    for t in range(x.shape[0]):
        ir, iz, i_n = (x[t] @ w_ih.T + b_ih).chunk(3, dim=1)
        hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, dim=1)
        r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
        n = torch.tanh(i_n + r * hn)
        h = (1 - z) * n + z * h
        rows.append(torch.cat([h, r, z, n, hn], dim=1))
    out = torch.stack(rows)
    with torch.no_grad():
        seq, _ = torch.gru(x, h0[None], [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False)
    if not torch.allclose(seq, out[:, :, :h0.shape[1]], rtol=1e-4, atol=1e-5):
        raise SystemExit("generate_golden.py: the gru recipe disagrees with torch.gru")
    return out


def _gru_backward(w_hh, h0, out, up):
    """[T+1 N 4H]: each step's [dr dz dhn dn] (pre-activations of r, z, n; hn), then [dh0 0 0 0]."""
    steps, hidden = out.shape[0], w_hh.shape[1]
    carry = out.new_zeros(out.shape[1], hidden)
    rows = []
    for t in reversed(range(steps)):
        _, r, z, n, hn = out[t].chunk(5, dim=1)
        _, ur, uz, un, uhn = up[t].chunk(5, dim=1)
        previous = h0 if t == 0 else out[t - 1, :, :hidden]
        dh = up[t, :, :hidden] + carry
        dn = (dh * (1 - z) + un) * (1 - n * n)
        dr = (dn * hn + ur) * r * (1 - r)
        dz = (dh * (previous - n) + uz) * z * (1 - z)
        recurrent = torch.cat([dr, dz, dn * r + uhn], dim=1)
        rows.append(torch.cat([recurrent, dn], dim=1))
        carry = dh * z + recurrent @ w_hh
    rows.reverse()
    rows.append(torch.cat([carry, out.new_zeros(out.shape[1], 3 * hidden)], dim=1))
    return torch.stack(rows)


# The special cases, in one place: the `mino.<f>` names a TorchCall may use (the
# torch backend's helper module defines the same names, Backends/Torch/Backend/
# TorchHelperSource.swift), each computed here with plain differentiable torch ops.
MINO_HELPERS = {
    "sign": torch.sign,
    "eq": _cmp(torch.eq), "ne": _cmp(torch.ne), "lt": _cmp(torch.lt),
    "le": _cmp(torch.le), "gt": _cmp(torch.gt), "ge": _cmp(torch.ge),
    "select": lambda c, a, b: torch.where(c != 0, a, b),
    "cast": lambda x, dtype: x.to(dtype),
    "slice_": lambda x, r: x[_slices(r)],
    "slice_scatter": _slice_scatter,
    "index_select": torch.index_select,
    "index_add": lambda src, axis, idx, shape: torch.zeros(shape, dtype=src.dtype).index_add(axis, idx, src),
    "gather": torch.gather,
    "scatter_add": lambda src, axis, idx, shape: torch.zeros(shape, dtype=src.dtype).scatter_add(axis, idx, src),
    "cross_entropy": lambda x, y, reduction: F.cross_entropy(x, y, reduction=reduction),
    "mse": lambda x, y, reduction: F.mse_loss(x, y, reduction=reduction),
    "bce_logits": lambda x, y, reduction: F.binary_cross_entropy_with_logits(x, y, reduction=reduction),
    # Mino draws the mask itself (same numbers on every backend); given the mask, dropout is this.
    "dropout": lambda x, mask, p: x * mask * (1.0 / (1.0 - p)),
    # Copies of the running statistics: torch updates them in place in training mode.
    "batch_norm": lambda x, mean, var, w, b, training, eps: F.batch_norm(
        x, mean.detach().clone(), var.detach().clone(), w, b, training=training, eps=eps),
    "lstm_cell": _lstm_cell,
    "lstm_cell_backward": _lstm_cell_backward,
    "max_pool2d_backward": lambda x, up, kernel, stride, padding: _input_gradient(
        lambda t: F.max_pool2d(t, kernel, stride, padding), x, up),
    "conv2d_weight_backward": _conv2d_weight_backward,
    "layer_norm_backward": lambda x, w, up, eps: _input_gradient(
        lambda t: F.layer_norm(t, w.shape, w, None, eps=eps), x, up),
    "batch_norm_backward": lambda x, w, up, eps: _input_gradient(
        lambda t: F.batch_norm(t, None, None, w, None, training=True, eps=eps), x, up),
    "lstm": _lstm,
    "lstm_backward": _lstm_backward,
    "gru": _gru,
    "gru_backward": _gru_backward,
}

# torch functions that take no Python number: a number input becomes a 0-d tensor of
# the default dtype, which promotes as the number would (int64 beside it: the default float).
NO_NUMBERS = {"torch.maximum", "torch.minimum"}


def resolve(function):
    module, _, name = function.partition(".")
    table = {"torch": torch.__dict__, "F": F.__dict__, "mino": MINO_HELPERS}.get(module)
    if table is None or name not in table:
        raise SystemExit(f"generate_golden.py: unknown torch call '{function}' "
                         "(torch.<f>, F.<f>, or mino.<f> of MINO_HELPERS)")
    return table[name]


def argument(value, inputs):
    if isinstance(value, dict):
        if "input" in value:
            return inputs[value["input"]]
        if "inputs" in value:
            return list(inputs[:value["inputs"]])
        if "dtype" in value:
            return TORCH[value["dtype"]]
        raise SystemExit(f"generate_golden.py: unknown argument {value!r}")
    return value


def call(recipe, inputs):
    if recipe["function"] in NO_NUMBERS:
        inputs = [v if isinstance(v, torch.Tensor) else torch.tensor(v) for v in inputs]
    f = resolve(recipe["function"])
    args = [argument(v, inputs) for v in recipe["args"]]
    kwargs = {k: argument(v, inputs) for k, v in recipe.get("kwargs", {}).items()}
    return f(*args, **kwargs)


# --- generation ----------------------------------------------------------------


def run_sample(key, record, tensors):
    if "torch" not in record:
        raise SystemExit(f"generate_golden.py: sample {key} has no recipe: export the samples again")
    grad = set(record["grad"])
    numbers = set(record.get("numbers", []))
    inputs = []
    for i in range(record["inputs"]):
        if i in numbers:
            inputs.append(float(tensors[f"{key}/in{i}"].item()))  # a Python number, as in `x + 0.5`
            continue
        t = torch.from_numpy(tensors[f"{key}/in{i}"].copy())
        if i in record["transposed"]:
            t = t.transpose(-2, -1)  # a strided view, as the suite gives the op
        if i in grad:
            t = t.detach().requires_grad_(True)
        inputs.append(t)
    out = call(record["torch"], inputs)
    result = {f"{key}/out": out.detach().contiguous().numpy().copy()}
    if grad:
        weight = torch.from_numpy(tensors[f"{key}/weight"].copy())
        wanted = sorted(grad)
        grads = torch.autograd.grad(out, [inputs[i] for i in wanted], grad_outputs=weight, allow_unused=True)
        for i, g in zip(wanted, grads):
            if g is None:
                g = torch.zeros_like(inputs[i])
            result[f"{key}/grad{i}"] = g.detach().contiguous().numpy().copy()
    return result


def generate(samples_path):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    tensors, metadata = read_safetensors(samples_path)
    golden, fingerprints = {}, {}
    for name in sorted(metadata):
        if not name.startswith("sample/"):
            continue
        key = name[len("sample/"):]
        record = json.loads(metadata[name])
        golden.update(run_sample(key, record, tensors))
        fingerprints[f"fingerprint/{key}"] = record["fingerprint"]
    meta = dict(fingerprints)
    meta["format"] = "mino conformance golden 1"
    meta["generator"] = f"torch {torch.__version__}, Conformance/generate_golden.py"
    meta["samples"] = str(len(fingerprints))
    return encode_safetensors(golden, meta), len(fingerprints)


def compare(new_bytes, committed_path):
    with open(committed_path, "rb") as f:
        old_bytes = f.read()
    if new_bytes == old_bytes:
        print(f"golden check: {committed_path} is reproduced byte for byte")
        return True
    new, new_meta = decode_safetensors(new_bytes)
    old, old_meta = decode_safetensors(old_bytes)
    problems = []
    for k in sorted(set(old_meta) ^ set(new_meta)):
        problems.append(f"metadata '{k}' only in the {'committed' if k in old_meta else 'regenerated'} file")
    for k in sorted(set(old_meta) & set(new_meta)):
        if old_meta[k] != new_meta[k] and k != "generator":
            problems.append(f"metadata '{k}' differs: {old_meta[k]!r} vs {new_meta[k]!r}")
    for k in sorted(set(old) ^ set(new)):
        problems.append(f"tensor '{k}' only in the {'committed' if k in old else 'regenerated'} file")
    for k in sorted(set(old) & set(new)):
        a, b = old[k], new[k]
        if a.shape != b.shape or a.dtype != b.dtype:
            problems.append(f"tensor '{k}': {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}")
        elif not np.array_equal(a, b, equal_nan=True):
            rtol = 1e-6 if a.dtype == np.float32 else 1e-12
            if not np.allclose(a, b, rtol=rtol, atol=rtol, equal_nan=True):
                problems.append(f"tensor '{k}': values differ by up to {np.max(np.abs(a - b))}")
    if problems:
        print(f"golden check: {committed_path} is NOT reproduced ({len(problems)} differences):")
        for p in problems[:40]:
            print("  " + p)
        return False
    print(f"golden check: {committed_path} is reproduced value for value "
          f"(generator: {old_meta.get('generator')} vs {new_meta.get('generator')})")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", required=True, help="the file `mino conformance --export-samples` wrote")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", help="write the golden file here")
    group.add_argument("--check", help="regenerate in memory and compare with this golden file")
    args = parser.parse_args()
    data, count = generate(args.samples)
    if args.out:
        write_atomically(args.out, data)
        print(f"wrote {count} samples ({len(data)} bytes) to {args.out}")
        return 0
    return 0 if compare(data, args.check) else 1


if __name__ == "__main__":
    sys.exit(main())
