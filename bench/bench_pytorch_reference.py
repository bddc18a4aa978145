"""The original session's dense autoencoder in PyTorch, for a same-machine throughput reference.

Not part of the kit (PyTorch is not a dependency). Run it from a separate environment:

    python3 -m venv /tmp/torch-env && /tmp/torch-env/bin/pip install torch numpy
    /tmp/torch-env/bin/python bench/bench_pytorch_reference.py

Architecture as in the original session: 784-128-64-32 with ReLU and a linear bottleneck, the
mirror decoder ending in a sigmoid, mean binary cross-entropy, Adam; random inputs (the values do
not change the cost).
"""

import time

import numpy as np
import torch
from torch import nn

N_SAMPLES, EPOCHS = 4500, 20


def autoencoder():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 32),
                         nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 784),
                         nn.Sigmoid())


def samples_per_second(batch_size):
    torch.manual_seed(0)
    data = torch.from_numpy(np.random.default_rng(0).random((N_SAMPLES, 784), dtype=np.float32))
    model, loss_fn = autoencoder(), nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch():
        for batch in data[torch.randperm(N_SAMPLES)].split(batch_size):
            optimizer.zero_grad()
            loss_fn(model(batch), batch).backward()
            optimizer.step()

    epoch()  # warm-up
    start = time.perf_counter()
    for _ in range(EPOCHS):
        epoch()
    return EPOCHS * N_SAMPLES / (time.perf_counter() - start)


if __name__ == "__main__":
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    for batch_size in (64, 256):
        print(f"  dense AE, batch {batch_size}: {samples_per_second(batch_size):,.0f} samples/s")
