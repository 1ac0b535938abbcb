"""A training loop as a PyTorch user writes it: scikit-learn's digits through DataLoader(num_workers=2), an MLP,
Adam and OneCycleLR, to at least 95% test accuracy."""
import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset, random_split


def test_mlp_learns_digits_with_workers_adam_and_one_cycle():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    x = ember.from_numpy((digits.data / 16.0).astype(np.float32))
    y = ember.from_numpy(digits.target.astype(np.int64))
    train, test = random_split(TensorDataset(x, y), [0.8, 0.2], generator=ember.Generator().manual_seed(0))
    ember.manual_seed(0)
    loader = DataLoader(train, batch_size=64, shuffle=True, num_workers=2, persistent_workers=True,
                        generator=ember.Generator().manual_seed(1))
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    epochs = 12
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, epochs=epochs,
                                                    steps_per_epoch=len(loader))
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
            optimizer.step()
            scheduler.step()
    model.eval()
    correct = 0
    with ember.no_grad():
        for inputs, targets in DataLoader(test, batch_size=128):
            correct += (model(inputs).argmax(1) == targets).sum().item()
    accuracy = correct / len(test)
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f}"
    del loader  # stops the persistent workers
