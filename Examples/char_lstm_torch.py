#!/usr/bin/env python3
"""The character-level LSTM language model of `mino train --model char-lstm`, in PyTorch.

Same text, vocabulary (sorted distinct characters), split (last 10% held out),
model (embedding 32 -> LSTM 128 -> linear), batching (16 streams, windows of 35
taken in order), Adam (lr 0.005) and number of steps, and the same initial
weights, which Mino writes:

    mino train --model char-lstm --save-initial /tmp/init.safetensors
    python Examples/char_lstm_torch.py --initial /tmp/init.safetensors

Both print `validation perplexity: X`; they agree within float32 rounding.
Tests/MinoTorchTests/CharLanguageModelTests.swift runs `train` below through the
torch backend's interpreter and checks the two within 3%.
"""
import argparse
import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F

SEQUENCE, BATCH, EMBEDDING, HIDDEN, STEPS, LR = 35, 16, 32, 128, 300, 0.005


class CharLanguageModel(torch.nn.Module):
    def __init__(self, vocabulary, embedding, hidden):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocabulary, embedding)
        self.lstm = torch.nn.LSTM(embedding, hidden)
        self.decoder = torch.nn.Linear(hidden, vocabulary)

    def forward(self, ids):
        h, _ = self.lstm(self.embedding(ids))
        return self.decoder(h.reshape(-1, h.shape[-1]))


def corpus(text):
    vocabulary = sorted(set(text))
    index = {c: i for i, c in enumerate(vocabulary)}
    ids = [index[c] for c in text]
    held = int(len(ids) * 0.1)
    return vocabulary, ids[:len(ids) - held], ids[len(ids) - held:]


def streams(ids, batch):
    n = len(ids) // batch
    return torch.tensor(ids[:n * batch], dtype=torch.int64).reshape(batch, n).t().contiguous(), n


def window(s, start, length):
    return s[start:start + length], s[start + 1:start + 1 + length].reshape(-1)


def perplexity(model, ids, sequence):
    s, n = streams(ids, 4)
    losses = []
    with torch.no_grad():
        start = 0
        while start + sequence + 1 <= n:
            x, y = window(s, start, sequence)
            losses.append(F.cross_entropy(model(x), y).item())
            start += sequence
    return math.exp(sum(losses) / len(losses))


def train(text, initial, steps=STEPS, sequence=SEQUENCE, batch=BATCH, embedding=EMBEDDING, hidden=HIDDEN, lr=LR):
    """Trains from `initial` ({name: flat list}, Mino's parameter names); returns the validation perplexity."""
    torch.set_num_threads(1)
    vocabulary, train_ids, validation_ids = corpus(text)
    model = CharLanguageModel(len(vocabulary), embedding, hidden)
    named = dict(model.named_parameters())
    with torch.no_grad():
        for name, values in initial.items():
            named[name].copy_(torch.tensor(values, dtype=torch.float32).reshape(named[name].shape))
    s, n = streams(train_ids, batch)
    span = n - sequence - 1
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        x, y = window(s, (step * sequence) % span, sequence)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return perplexity(model, validation_ids, sequence)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    kinds = {"F32": np.float32, "F64": np.float64}
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=kinds[info["dtype"]]).tolist()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--initial", required=True, help="the initial weights mino wrote (--save-initial)")
    parser.add_argument("--text", default="data/gettysburg-declaration.txt")
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    print(f"validation perplexity: {train(text, read_safetensors(args.initial), steps=args.steps):.4f}")


if __name__ == "__main__":
    main()
