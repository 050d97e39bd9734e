"""Two models for `mino import` and `mino export` (README, "PyTorch interop"):
a batch-norm network used in eval mode and a 2-layer LSTM classifier.

    mino import Examples/classifiers.py:LSTMClassifier --out lstm.mu
    mino export lstm.mu --weights lstm.safetensors --out lstm_again.py
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def settle(net, shape):
    """A few training batches, so the running statistics are not their initial 0 and 1; then eval."""
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for i in range(3):
            net(torch.randn(*shape, generator=g) * (i + 1) + 0.5)
    return net.eval()


class BatchNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.norm2d = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 8)
        self.norm1d = nn.BatchNorm1d(8, eps=1e-3, momentum=0.2)
        self.out = nn.Linear(8, 3)
        settle(self, (8, 2, 6, 6))

    def forward(self, x):
        x = F.relu(self.norm2d(self.conv(x)))
        x = torch.flatten(x, 1)
        return self.out(F.relu(self.norm1d(self.fc(x))))


class LSTMClassifier(nn.Module):
    def __init__(self, n_in=5, hidden=8, n_classes=3):
        super().__init__()
        self.lstm = nn.LSTM(n_in, hidden, num_layers=2, batch_first=True)
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return F.log_softmax(self.fc(h[-1]) + self.fc(out[:, -1, :]), dim=1)
