#!/usr/bin/env python3
"""Records PyTorch's outputs and gradients for every conformance sample.

The Swift suite derives the samples; this script never re-derives them. It
reads the file `mino conformance --export-samples PATH` writes (each sample's
inputs as raw arrays, its attributes, which inputs are transposed, and the
weights W of the checked scalar sum(output * W)), runs each sample through
the PyTorch recipe of its op (RECIPES, the one table of PyTorch equivalents),
and writes the outputs and the gradients of sum(output * W) into the golden
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


# --- the one table: each Mino op as PyTorch computes it ---------------------
# x: the inputs (torch tensors, transposed ones as strided views), a: the
# attributes after Mino's shape rule normalized them (axes sorted and
# non-negative, -1 resolved). Comparisons give 1/0 in the operands' dtype,
# as Mino's do.


def _cmp(f):
    # 1/0 in the dtype the operands promote to (an int64 tensor against a float number: float32).
    return lambda x, a: f(x[0], x[1]).to(torch.result_type(x[0], x[1]))


def _tensor(v):
    # torch.maximum/minimum take no Python number; a 0-d tensor of the default dtype
    # promotes as the number would (int64 beside it: the default float dtype).
    return v if isinstance(v, torch.Tensor) else torch.tensor(v)


def _reduce(f):
    # A scalar has no axis to reduce: the result is the value itself.
    return lambda x, a: f(x[0], dim=a["axes"], keepdim=a["keepDims"]) if a["axes"] else x[0].clone()


def _slices(a):
    return tuple(slice(s, e, st) for s, e, st in a["ranges"])


def _slice_scatter(x, a):
    out = torch.zeros(a["shape"], dtype=x[0].dtype)
    out[_slices(a)] = x[0]
    return out


def _argmax(x, a):
    if x[0].dim() == 0:
        return torch.zeros((), dtype=torch.int64)
    return torch.argmax(x[0], dim=a["axis"], keepdim=a["keepDims"])


def _lstm_cell(a, c):
    """[h' c'] of one LSTM step, gates in torch's order i f g o."""
    i, f, g, o = a.chunk(4, dim=1)
    cell = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.cat([torch.sigmoid(o) * torch.tanh(cell), cell], dim=1)


def _lstm_cell_backward(a, c, up):
    """[d gates, d c] of _lstm_cell by torch's autograd, differentiable (create_graph)."""
    with torch.enable_grad():
        a1 = a if a.requires_grad else a.detach().requires_grad_(True)
        c1 = c if c.requires_grad else c.detach().requires_grad_(True)
        da, dc = torch.autograd.grad(_lstm_cell(a1, c1), [a1, c1], grad_outputs=up, create_graph=True)
    return torch.cat([da, dc], dim=1)



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

RECIPES = {
    "neg": lambda x, a: torch.neg(x[0]),
    "exp": lambda x, a: torch.exp(x[0]),
    "log": lambda x, a: torch.log(x[0]),
    "sqrt": lambda x, a: torch.sqrt(x[0]),
    "abs": lambda x, a: torch.abs(x[0]),
    "sign": lambda x, a: torch.sign(x[0]),
    "relu": lambda x, a: torch.relu(x[0]),
    "sigmoid": lambda x, a: torch.sigmoid(x[0]),
    "tanh": lambda x, a: torch.tanh(x[0]),
    "erf": lambda x, a: torch.erf(x[0]),
    "add": lambda x, a: torch.add(x[0], x[1]),
    "sub": lambda x, a: torch.sub(x[0], x[1]),
    "mul": lambda x, a: torch.mul(x[0], x[1]),
    "div": lambda x, a: torch.div(x[0], x[1]),
    "pow": lambda x, a: torch.pow(x[0], x[1]),
    "maximum": lambda x, a: torch.maximum(x[0], _tensor(x[1])),
    "minimum": lambda x, a: torch.minimum(x[0], _tensor(x[1])),
    "equal": _cmp(torch.eq),
    "notEqual": _cmp(torch.ne),
    "less": _cmp(torch.lt),
    "lessEqual": _cmp(torch.le),
    "greater": _cmp(torch.gt),
    "greaterEqual": _cmp(torch.ge),
    "where": lambda x, a: torch.where(x[0] != 0, x[1], x[2]),
    "cast": lambda x, a: x[0].to(TORCH[a["dtype"]]),
    "matmul": lambda x, a: torch.matmul(x[0], x[1]),
    "sum": _reduce(torch.sum),
    "max": _reduce(torch.amax),
    "argmax": _argmax,
    "reshape": lambda x, a: x[0].reshape(a["shape"]),
    "permute": lambda x, a: x[0].permute(a["permutation"]),
    "expand": lambda x, a: x[0].expand(a["shape"]),
    "concat": lambda x, a: torch.cat(x, dim=a["axis"]),
    "slice": lambda x, a: x[0][_slices(a)],
    "sliceScatter": _slice_scatter,
    "indexSelect": lambda x, a: torch.index_select(x[0], a["axis"], x[1]),
    "indexAdd": lambda x, a: torch.zeros(a["shape"], dtype=x[0].dtype).index_add(a["axis"], x[1], x[0]),
    "gather": lambda x, a: torch.gather(x[0], a["axis"], x[1]),
    "scatterAdd": lambda x, a: torch.zeros(a["shape"], dtype=x[0].dtype).scatter_add(a["axis"], x[1], x[0]),
    "mean": _reduce(torch.mean),
    "transpose": lambda x, a: x[0].transpose(a["axes"][0], a["axes"][1]),
    "stack": lambda x, a: torch.stack(x, dim=a["axis"]),
    "softmax": lambda x, a: torch.softmax(x[0], dim=a["axis"]),
    "logSoftmax": lambda x, a: torch.log_softmax(x[0], dim=a["axis"]),
    "linear": lambda x, a: F.linear(x[0], x[1], x[2]),
    "mse": lambda x, a: F.mse_loss(x[0], x[1], reduction=a["reduction"]),
    "binaryCrossEntropyWithLogits":
        lambda x, a: F.binary_cross_entropy_with_logits(x[0], x[1], reduction=a["reduction"]),
    "crossEntropy": lambda x, a: F.cross_entropy(x[0], x[1], reduction=a["reduction"]),
    # Mino draws the mask itself (same numbers on every backend); given the mask, dropout is this.
    "dropout": lambda x, a: x[0] * x[1] * (1.0 / (1.0 - a["scalar"])),
    # Layers (Sources/MinoCore/Ops+Layers.swift); the layer attributes are present when set.
    "leakyRelu": lambda x, a: F.leaky_relu(x[0], negative_slope=a["scalar"]),
    "elu": lambda x, a: F.elu(x[0], alpha=a["scalar"]),
    "softplus": lambda x, a: F.softplus(x[0], beta=a["scalar"]),
    "silu": lambda x, a: F.silu(x[0]),
    "gelu": lambda x, a: F.gelu(x[0]),
    "nllLoss": lambda x, a: F.nll_loss(x[0], x[1], reduction=a["reduction"]),
    "conv2d": lambda x, a: F.conv2d(x[0], x[1], x[2], stride=a["stride"], padding=a["padding"],
                                    dilation=a["dilation"], groups=a["groups"]),
    "conv1d": lambda x, a: F.conv1d(x[0], x[1], x[2], stride=a["stride"], padding=a["padding"],
                                    dilation=a["dilation"], groups=a["groups"]),
    "convTranspose2d": lambda x, a: F.conv_transpose2d(x[0], x[1], x[2], stride=a["stride"], padding=a["padding"],
                                                       output_padding=a["outputPadding"], groups=a["groups"],
                                                       dilation=a["dilation"]),
    "maxPool2d": lambda x, a: F.max_pool2d(x[0], a["kernel"], a["stride"], a["padding"]),
    "avgPool2d": lambda x, a: F.avg_pool2d(x[0], a["kernel"], a["stride"], a["padding"]),
    "adaptiveAvgPool2d": lambda x, a: F.adaptive_avg_pool2d(x[0], a["shape"]),
    "flatten": lambda x, a: torch.flatten(x[0], a["axes"][0], a["axes"][1]),
    "embedding": lambda x, a: F.embedding(x[0], x[1], padding_idx=a.get("index")),
    "lstmCell": lambda x, a: _lstm_cell(x[0], x[1]),
    "lstmCellBackward": lambda x, a: _lstm_cell_backward(x[0], x[1], x[2]),
    "lstm": lambda x, a: _lstm(*x),
    "lstmBackward": lambda x, a: _lstm_backward(*x),
    "gru": lambda x, a: _gru(*x),
    "gruBackward": lambda x, a: _gru_backward(*x),
    "layerNorm": lambda x, a: F.layer_norm(x[0], x[1].shape, x[1], x[2], eps=a.get("epsilon", 1e-5)),
    # Copies of the running statistics: torch updates them in place in training mode.
    "batchNorm": lambda x, a: F.batch_norm(x[0], x[1].detach().clone(), x[2].detach().clone(), x[3], x[4],
                                           training=a.get("training", False), eps=a.get("epsilon", 1e-5)),
}


# --- generation ----------------------------------------------------------------


def run_sample(key, record, tensors):
    op = record["op"]
    if op not in RECIPES:
        raise SystemExit(f"generate_golden.py: no PyTorch recipe for op '{op}': add one to RECIPES")
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
    out = RECIPES[op](inputs, record["attributes"])
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
