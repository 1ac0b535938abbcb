"""Train a small CNN on scikit-learn's handwritten digits (8x8 images bundled with scikit-learn: no download).

Written as a PyTorch user would write it, with ``import ember as torch``: a DataLoader with worker processes over a
TensorDataset, Adam, a tqdm progress bar per epoch, a held-out test split, a checkpoint saved with ``torch.save``
and a loss/accuracy curve saved as PNG when matplotlib is installed.

    python examples/digits_cnn.py                 # full run, >= 97% test accuracy
    python examples/digits_cnn.py --quick         # 1 epoch on a subset (smoke test)
    python examples/digits_cnn.py --epochs 20 --out runs/digits --seed 1
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import ember as torch
from ember import nn
from ember.utils.data import DataLoader, Subset, TensorDataset, random_split

try:
    from tqdm import tqdm
except ImportError:  # tqdm comes with the `examples` extra; without it the loop prints one line per epoch
    tqdm = None


class DigitsCNN(nn.Module):
    """Two 3x3 convolution blocks (8x8 -> 4x4 -> 2x2) and a small classifier head."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 2 * 2, 10 * num_classes),
                                        nn.ReLU(), nn.Linear(10 * num_classes, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def load_digits_dataset() -> TensorDataset:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit("digits_cnn needs scikit-learn: pip install 'ember[examples]'")
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # N x 1 x 8 x 8, pixel values 0..16 -> 0..1
    return TensorDataset(torch.from_numpy(images), torch.from_numpy(digits.target.astype(np.int64)))


def train_one_epoch(model, loader, loss_fn, optimizer, epoch: int, epochs: int) -> tuple[float, float]:
    """One pass over loader; returns (mean loss, accuracy) over the samples seen."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    batches = tqdm(loader, desc=f"epoch {epoch}/{epochs}", leave=False) if tqdm is not None else loader
    for images, labels in batches:
        optimizer.zero_grad()
        logits = model(images)
        loss = loss_fn(logits, labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(labels)
        correct += (logits.argmax(1) == labels).sum().item()
        seen += len(labels)
        if tqdm is not None:
            batches.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
    return total_loss / seen, correct / seen


@torch.no_grad()
def evaluate(model, loader, loss_fn) -> tuple[float, float]:
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in loader:
        logits = model(images)
        total_loss += loss_fn(logits, labels).item() * len(labels)
        correct += (logits.argmax(1) == labels).sum().item()
        seen += len(labels)
    return total_loss / seen, correct / seen


def save_curves(history: dict, path: str) -> bool:
    """Loss and accuracy per epoch as a PNG; False when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.plot(epochs, history["train_acc"], label="train")
    ax_acc.plot(epochs, history["test_acc"], label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run: 1 epoch on a subset")
    parser.add_argument("--out", default="outputs/digits_cnn", help="directory for the checkpoint and the plot")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else args.epochs

    torch.manual_seed(args.seed)
    dataset = load_digits_dataset()
    train_set, test_set = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(args.seed))
    if args.quick:
        train_set, test_set = Subset(train_set, range(256)), Subset(test_set, range(128))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=2,
                              persistent_workers=True, generator=torch.Generator().manual_seed(args.seed))
    test_loader = DataLoader(test_set, batch_size=256)
    print(f"digits: {len(train_set)} train / {len(test_set)} test images, {epochs} epoch(s)")

    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        train_loss, train_acc = train_one_epoch(model, train_loader, loss_fn, optimizer, epoch, epochs)
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        scheduler.step()
        for key, value in zip(history, (train_loss, train_acc, test_loss, test_acc)):
            history[key].append(value)
        print(f"epoch {epoch:2d}/{epochs}  train loss {train_loss:.4f} acc {train_acc:.3f}  "
              f"test loss {test_loss:.4f} acc {test_acc:.3f}")
    del train_loader  # stops the persistent worker processes
    print(f"test accuracy: {history['test_acc'][-1] * 100:.2f}% ({time.perf_counter() - start:.1f} s)")

    os.makedirs(args.out, exist_ok=True)
    saved = []
    if hasattr(torch, "save"):
        saved.append(os.path.join(args.out, "digits_cnn.pt"))
        torch.save(model.state_dict(), saved[-1])
    else:
        print("note: this ember has no ember.save yet, so no checkpoint was saved")
    if save_curves(history, os.path.join(args.out, "digits_cnn_curves.png")):
        saved.append(os.path.join(args.out, "digits_cnn_curves.png"))
    else:
        print("note: matplotlib is not installed, so no curves were plotted (pip install matplotlib)")
    print(f"saved outputs to {os.path.abspath(args.out)}: {', '.join(map(os.path.basename, saved)) or 'nothing'}")
    return history["test_acc"][-1]


if __name__ == "__main__":
    main()
