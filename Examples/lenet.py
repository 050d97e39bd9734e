# GenPyTorch's LeNet (seed 003, the `MyModel` of its documentation), as a
# plain PyTorch file for `TorchModule` and `(torch-module "lenet.py" "MyModel")`.
# One change from the seed: its `num_flat_features` returned from inside the
# loop (after the first dimension, 16), so `view` made (N*36, 16) and fc1
# failed on 32x32 inputs; here the return is after the loop, as intended.
import torch
import torch.nn as nn
import torch.nn.functional as F


class MyModel(torch.nn.Module):
  def __init__(self):
    super(MyModel, self).__init__()
    self.conv1 = nn.Conv2d(1, 6, 3)
    self.conv2 = nn.Conv2d(6, 16, 3)
    self.fc1 = nn.Linear(16 * 6 * 6, 120)
    self.fc2 = nn.Linear(120, 84)
    self.fc3 = nn.Linear(84, 10)

  def forward(self, x):
    x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
    x = F.max_pool2d(F.relu(self.conv2(x)), 2)
    x = x.view(-1, self.num_flat_features(x))
    x = F.relu(self.fc1(x))
    x = F.relu(self.fc2(x))
    x = self.fc3(x)
    return x

  def num_flat_features(self, x):
    size = x.size()[1:]  # all dimensions except the batch dimension
    num_features = 1
    for s in size:
      num_features *= s
    return num_features
