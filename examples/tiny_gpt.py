"""A tiny decoder-only transformer (GPT) on characters, written exactly as in PyTorch (``import ember as torch``).

Token + learned position embeddings, pre-LayerNorm blocks of causal self-attention
(F.scaled_dot_product_attention with is_causal=True) and a GELU MLP (approximate='tanh'), a final LayerNorm and a
read-out whose weight is tied to the token embedding. AdamW with a linear warm-up followed by cosine decay
(lr_scheduler.SequentialLR of LinearLR and CosineAnnealingLR), gradient clipping, and sampling at the end.

The text is Python's bundled documentation topics (``pydoc_data.topics``; PSF License, not public domain; ships
with Python, so nothing is downloaded); ``--text FILE`` trains on your own file. See examples/_text.py.

    python examples/tiny_gpt.py               # one to two minutes on a laptop CPU
    python examples/tiny_gpt.py --quick       # a few seconds: smoke test
"""
from __future__ import annotations

import math

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from _text import (Timer, common_args, finish, load_text, parse_args, prepare, progress, random_blocks,
                   report)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t only sees positions <= t."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(approximate="tanh"), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    """Token + position embeddings, ``layers`` blocks, final LayerNorm, read-out tied to the token embedding."""

    def __init__(self, vocab: int, block: int, dim: int, layers: int, heads: int) -> None:
        super().__init__()
        self.block = block
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(block, dim)
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.tok.weight  # weight tying
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t))
        return self.head(self.ln(self.blocks(x)))


@torch.no_grad()
def evaluate(model: TinyGPT, ids: np.ndarray, batches: int, batch: int, rng: np.random.Generator) -> float:
    """Mean cross-entropy on ``batches`` random validation windows."""
    model.eval()
    total = 0.0
    for _ in range(batches):
        x, y = random_blocks(ids, model.block, batch, rng)
        logits = model(x)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()
    model.train()
    return total / batches


@torch.no_grad()
def sample(model: TinyGPT, vocab, prompt: str, length: int, temperature: float) -> str:
    """Generate ``length`` characters after ``prompt``, feeding back the last ``block`` characters each step."""
    model.eval()
    idx = torch.from_numpy(vocab.encode(prompt)).unsqueeze(0)
    for _ in range(length):
        logits = model(idx[:, -model.block:])
        probs = F.softmax(logits[0, -1] / temperature, dim=-1)
        idx = torch.cat([idx, torch.multinomial(probs, 1).view(1, 1)], dim=1)
    model.train()
    return vocab.decode(idx[0].tolist())


def main() -> None:
    p = common_args(__doc__.splitlines()[0], epochs=3)
    p.add_argument("--steps", type=int, default=None, help="optimizer steps (overrides --epochs)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--block", type=int, default=64, help="context length in characters")
    p.add_argument("--dim", type=int, default=96)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=float, default=0.1, help="fraction of the steps spent warming up")
    p.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    args = parse_args(p, quick=dict(limit=6000, dim=32, layers=1, block=32, batch=16, steps=30, sample_len=60))

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    timer = Timer()
    vocab, train_ids, val_ids = prepare(load_text(args.text), args.limit)
    # An "epoch" is as many random windows as the training text has characters: each character seen once on average.
    steps = args.steps or max(args.epochs * len(train_ids) // (args.batch * args.block), 1)
    model = TinyGPT(len(vocab), args.block, args.dim, args.layers, args.heads)
    # Weight decay on matrices only, not on biases and LayerNorm parameters.
    decay = [w for w in model.parameters() if w.dim() >= 2]
    no_decay = [w for w in model.parameters() if w.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.99))
    warmup = max(int(args.warmup * steps), 1)
    sched = SequentialLR(opt, [LinearLR(opt, start_factor=0.01, total_iters=warmup),
                               CosineAnnealingLR(opt, T_max=max(steps - warmup, 1), eta_min=args.lr / 10)],
                         milestones=[warmup])
    print(f"text: {len(train_ids) + len(val_ids):,} characters, vocabulary {len(vocab)}; "
          f"{sum(p.numel() for p in model.parameters()):,} parameters; {steps} steps of {args.batch}x{args.block}")
    eval_batches = 2 if args.quick else 8
    print(f"initial validation loss {evaluate(model, val_ids, eval_batches, args.batch, rng):.3f} "
          f"(uniform guess: {math.log(len(vocab)):.3f})")

    smooth = None
    bar = progress(range(steps), steps, "training")
    for step in bar:
        x, y = random_blocks(train_ids, args.block, args.batch, rng)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        sched.step()
        smooth = loss.item() if smooth is None else 0.9 * smooth + 0.1 * loss.item()
        report(bar, step, steps, every=max(steps // 10, 1), loss=smooth, lr=sched.get_last_lr()[0])
    print(f"train loss {smooth:.3f}  validation loss {evaluate(model, val_ids, eval_batches, args.batch, rng):.3f}")

    text = sample(model, vocab, vocab.known("The "), args.sample_len, args.temperature)
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "chars": vocab.chars, "args": vars(args)}
    finish("tiny_gpt", text, state, args.out, smooth, timer(), args.temperature)


if __name__ == "__main__":
    main()
