"""Model workloads (the performance issue's suite): one training or inference step of a whole model, written once
against the PyTorch API. Weights and data come from a fixed NumPy seed, so both frameworks do the same work and
their final losses must agree. n_ops is 1: the table's "us/op" column is microseconds per step here.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from .workloads import WORKLOADS


def _weight_values(named_shapes: Iterable[tuple[str, tuple[int, ...]]], seed: int = 0) -> Iterator[np.ndarray]:
    """float32 values for parameters given as (name, shape) in named_parameters order, from a NumPy seed: uniform
    +-1/sqrt(fan_in) for matrices and kernels, 1 +- 0.1 for 1-d weights (norms), +-0.05 for biases."""
    rng = np.random.default_rng(seed)
    for name, shape in named_shapes:
        if len(shape) >= 2:
            bound = 1.0 / np.sqrt(np.prod(shape[1:]))
            value = rng.uniform(-bound, bound, shape)
        elif name.endswith("weight"):
            value = 1.0 + rng.uniform(-0.1, 0.1, shape)
        else:
            value = rng.uniform(-0.05, 0.05, shape)
        yield value.astype(np.float32)


def _same_weights(torch, model, seed: int = 0) -> None:
    """Overwrite every parameter with _weight_values(seed), so every framework starts from the same weights."""
    params = list(model.named_parameters())
    with torch.no_grad():
        for (_, p), value in zip(params, _weight_values([(name, tuple(p.shape)) for name, p in params], seed)):
            p.copy_(torch.tensor(value))


def _train_step(torch, model, opt, make_loss, clip=None):
    def step() -> float:
        opt.zero_grad()
        loss = make_loss()
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return loss.item()
    return step, 1


def _infer_step(torch, model, make_loss):
    model.eval()

    def step() -> float:
        with torch.no_grad():
            return make_loss().item()
    return step, 1


def mlp_data() -> tuple[np.ndarray, np.ndarray]:
    """The mlp workloads' batch: 128 float32 inputs of 784 features and int64 class labels in [0, 10)."""
    rng = np.random.default_rng(1)
    return rng.standard_normal((128, 784)).astype(np.float32), rng.integers(0, 10, 128)


def _mlp(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    _same_weights(torch, model)
    x, y = map(torch.tensor, mlp_data())
    return model, lambda: nn.functional.cross_entropy(model(x), y)


def mlp(torch):
    """784-512-512-10 ReLU MLP, batch 128, cross-entropy, SGD with momentum: one training step."""
    model, loss = _mlp(torch)
    return _train_step(torch, model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), loss)


def mlp_infer(torch):
    """The mlp workload's forward under no_grad."""
    model, loss = _mlp(torch)
    return _infer_step(torch, model, loss)


def lenet_data() -> tuple[np.ndarray, np.ndarray]:
    """The lenet workloads' batch: 64 float32 1x28x28 images and int64 class labels in [0, 10)."""
    rng = np.random.default_rng(2)
    return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)


def _lenet(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84),
                          nn.ReLU(), nn.Linear(84, 10))
    _same_weights(torch, model)
    x, y = map(torch.tensor, lenet_data())
    return model, lambda: nn.functional.cross_entropy(model(x), y)


def lenet(torch):
    """LeNet-5-like CNN on 1x28x28, batch 64, Adam: one training step."""
    model, loss = _lenet(torch)
    return _train_step(torch, model, torch.optim.Adam(model.parameters(), lr=1e-3), loss)


def lenet_infer(torch):
    """The lenet workload's forward under no_grad."""
    model, loss = _lenet(torch)
    return _infer_step(torch, model, loss)


def resnet(torch):
    """Small ResNet-style net (3x3 convs, BatchNorm, residual adds), 3x32x32 input, batch 32, SGD: one step."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            h = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(x + self.bn2(self.conv2(h)))

    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), Block(16),
                          nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                          Block(32), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    _same_weights(torch, model)
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.standard_normal((32, 3, 32, 32)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, 32))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train_step(torch, model, opt, lambda: nn.functional.cross_entropy(model(x), y))


def lstm(torch):
    """2-layer LSTM LM, hidden 256, seq 35, batch 20, vocab 1000, clip_grad_norm_, SGD: one training step."""
    nn = torch.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(1000, 256)
            self.rnn = nn.LSTM(256, 256, num_layers=2)
            self.head = nn.Linear(256, 1000)

        def forward(self, x):
            out, _ = self.rnn(self.emb(x))
            return self.head(out)

    model = LM()
    _same_weights(torch, model)
    rng = np.random.default_rng(4)
    x = torch.tensor(rng.integers(0, 1000, (35, 20)))
    y = torch.tensor(rng.integers(0, 1000, (35 * 20,)))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    return _train_step(torch, model, opt, lambda: nn.functional.cross_entropy(model(x).reshape(-1, 1000), y), 0.25)


def _gpt(torch, sdpa: bool):
    nn, F = torch.nn, torch.nn.functional
    d, heads, ctx, vocab = 128, 4, 64, 512

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def attn(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(x).split(d, dim=2)
            q, k, v = (z.view(b, t, heads, d // heads).transpose(1, 2) for z in (q, k, v))
            if sdpa:
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / (d // heads) ** 0.5)
                mask = torch.tril(torch.ones(t, t)).view(1, 1, t, t)
                att = F.softmax(att.masked_fill(mask == 0, float("-inf")), dim=-1)
                y = att @ v
            return self.proj(y.transpose(1, 2).contiguous().view(b, t, d))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.out(F.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
            self.blocks = nn.Sequential(*[Block() for _ in range(4)])
            self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
            return self.head(self.ln(self.blocks(x)))

    model = GPT()
    _same_weights(torch, model)
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.integers(0, vocab, (16, ctx)))
    y = torch.tensor(rng.integers(0, vocab, (16 * ctx,)))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    return _train_step(torch, model, opt, lambda: F.cross_entropy(model(x).view(-1, vocab), y))


def gpt(torch):
    """nanoGPT-style: 4 layers, 4 heads, d_model 128, context 64, batch 16, vocab 512, masked_fill + softmax, AdamW."""
    return _gpt(torch, sdpa=False)


def gpt_sdpa(torch):
    """The gpt workload with F.scaled_dot_product_attention(is_causal=True)."""
    return _gpt(torch, sdpa=True)


WORKLOADS.update({"mlp": mlp, "mlp_infer": mlp_infer, "lenet": lenet, "lenet_infer": lenet_infer, "resnet": resnet,
                  "lstm": lstm, "gpt": gpt, "gpt_sdpa": gpt_sdpa})
