"""Row scatter-adds (ops/_util.add_rows: embedding's backward, index_add) on index sets large enough for the sorted
rounds, and with more repeats than the rounds take (np.add.at), against torch."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("n_classes", [1000, 7])  # few repeats: sorted rounds; many repeats: np.add.at
def test_embedding_backward_matches_torch(n_classes):
    rng = np.random.default_rng(n_classes)
    idx = rng.integers(0, n_classes, (20, 35))
    g = rng.standard_normal((20, 35, 16)).astype(np.float32)
    grads = []
    for m in (ember, torch):
        emb = m.nn.Embedding(n_classes, 16)
        emb(m.tensor(idx)).backward(m.tensor(g))
        grads.append(emb.weight.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dim", [0, 1])
def test_index_add_repeats_match_torch(dim):
    rng = np.random.default_rng(dim)
    base = rng.standard_normal((50, 40)).astype(np.float32)
    idx = rng.integers(0, base.shape[dim], 300)
    src_shape = (300, 40) if dim == 0 else (50, 300)
    src = rng.standard_normal(src_shape).astype(np.float32)
    out = [m.tensor(base).index_add(dim, m.tensor(idx), m.tensor(src), alpha=0.5).numpy() for m in (ember, torch)]
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6, atol=1e-6)
