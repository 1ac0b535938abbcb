"""Model-level tests: a small CNN learns scikit-learn's digits; an LSTM language model's loss falls as torch's does
from the same weights on the same text."""
import codecs
import this  # noqa: F401  (the Zen of Python ships with Python: public-domain-ish text, no download)

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import copy_weights


def _sgd(params, lr, momentum, bufs):
    with ember.no_grad() if isinstance(params[0], ember.Tensor) else torch.no_grad():
        for i, p in enumerate(params):
            g = p.grad
            bufs[i] = g.clone() if bufs[i] is None else bufs[i] * momentum + g
            p -= lr * bufs[i]
            p.grad = None


def test_cnn_learns_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    split = 1400
    nn = ember.nn
    ember.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 2 * 2, 10))
    params = list(model.parameters())
    bufs = [None] * len(params)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(12):
        perm = rng.permutation(split)
        for i in range(0, split, 64):
            idx = perm[i:i + 64]
            loss = loss_fn(model(ember.from_numpy(x[idx])), ember.from_numpy(y[idx]))
            loss.backward()
            _sgd(params, 0.05, 0.9, bufs)
    model.eval()
    with ember.no_grad():
        pred = model(ember.from_numpy(x[split:])).argmax(1).numpy()
    accuracy = (pred == y[split:]).mean()
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f}"


def test_lstm_language_model_loss_falls_as_torchs():
    text = codecs.decode(this.s, "rot13")
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], dtype=np.int64)
    vocab, seq, batch = len(chars), 32, 8

    class LM:
        def __init__(self, m):
            self.emb = m.nn.Embedding(vocab, 16)
            self.lstm = m.nn.LSTM(16, 32, num_layers=2, batch_first=True)
            self.head = m.nn.Linear(32, vocab)
            self.mods = [self.emb, self.lstm, self.head]

        def __call__(self, x):
            out, _ = self.lstm(self.emb(x))
            return self.head(out)

        def parameters(self):
            return [p for mod in self.mods for p in mod.parameters()]

    torch.manual_seed(0)
    t_model, e_model = LM(torch), LM(ember)
    for em, tm in zip(e_model.mods, t_model.mods):
        copy_weights(em, tm)
    rng = np.random.default_rng(0)
    losses = {"ember": [], "torch": []}
    t_bufs, e_bufs = [None] * len(t_model.parameters()), [None] * len(e_model.parameters())
    for step in range(60):
        starts = rng.integers(0, len(ids) - seq - 1, batch)
        xb = np.stack([ids[s:s + seq] for s in starts])
        yb = np.stack([ids[s + 1:s + seq + 1] for s in starts])
        for name, m, model, bufs in (("torch", torch, t_model, t_bufs), ("ember", ember, e_model, e_bufs)):
            logits = model(m.from_numpy(xb))
            loss = m.nn.functional.cross_entropy(logits.reshape(-1, vocab), m.from_numpy(yb).reshape(-1))
            loss.backward()
            _sgd(model.parameters(), 0.5, 0.0, bufs)
            losses[name].append(loss.item())
    e, t = np.array(losses["ember"]), np.array(losses["torch"])
    assert t[-10:].mean() < t[:10].mean() - 0.5, "torch itself did not learn: the test is miscalibrated"
    np.testing.assert_allclose(e, t, rtol=2e-3, atol=2e-3)
