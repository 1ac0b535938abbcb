"""Character-level LSTM language model, written exactly as in PyTorch (``import ember as torch``).

Trains nn.Embedding -> nn.LSTM -> nn.Linear to predict the next character of a text with truncated backpropagation
through time: the text is cut into ``batch`` parallel streams, each step trains on the next ``bptt`` characters of
every stream, and the LSTM state is carried from chunk to chunk but detached, so gradients stop at chunk borders.
Gradients are clipped with nn.utils.clip_grad_norm_. At the end the model writes new text by sampling one character
at a time (softmax with a temperature, then torch.multinomial).

The text is Python's bundled documentation topics (``pydoc_data.topics``; PSF License, not public domain; ships
with Python, so nothing is downloaded); ``--text FILE`` trains on your own file. See examples/_text.py.

    python examples/char_lstm.py              # about a minute on a laptop CPU
    python examples/char_lstm.py --quick      # a few seconds: smoke test
"""
from __future__ import annotations


import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from _text import (Timer, common_args, finish, load_text, parse_args, prepare, progress, report,
                   stream_batches)


class CharLSTM(nn.Module):
    """Embedding -> multi-layer LSTM -> linear read-out over the vocabulary."""

    def __init__(self, vocab: int, embed: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def evaluate(model: CharLSTM, data: torch.Tensor, bptt: int) -> float:
    """Mean per-character cross-entropy over the streams in ``data`` (batch, length)."""
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for i in range(0, data.shape[1] - 1, bptt):
            x = data[:, i:i + bptt]
            y = data[:, i + 1:i + 1 + bptt]
            x = x[:, :y.shape[1]]
            logits, state = model(x, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    model.train()
    return total / count


def sample(model: CharLSTM, vocab, prompt: str, length: int, temperature: float) -> str:
    """Generate ``length`` characters after ``prompt`` by feeding the model its own samples."""
    model.eval()
    out = list(prompt)
    with torch.no_grad():
        logits, state = model(torch.from_numpy(vocab.encode(prompt)).unsqueeze(0))
        for _ in range(length):
            probs = F.softmax(logits[0, -1] / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1)
            out.append(vocab.chars[nxt.item()])
            logits, state = model(nxt.view(1, 1), state)
    model.train()
    return "".join(out)


def main() -> None:
    p = common_args(__doc__.splitlines()[0], epochs=3)
    p.add_argument("--batch", type=int, default=32, help="parallel streams")
    p.add_argument("--bptt", type=int, default=64, help="characters per truncated-BPTT chunk")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    args = parse_args(p, quick=dict(limit=6000, hidden=64, batch=16, bptt=32, epochs=1, sample_len=60))

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    timer = Timer()
    vocab, train_ids, val_ids = prepare(load_text(args.text), args.limit)
    train = stream_batches(train_ids, args.batch)
    val = stream_batches(val_ids, min(args.batch, len(val_ids) // (args.bptt + 1) or 1))
    model = CharLSTM(len(vocab), 64, args.hidden, args.layers, dropout=0.2)
    if args.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=args.lr * 100, momentum=0.9)
    chunks = list(range(0, train.shape[1] - 1, args.bptt))
    print(f"text: {len(train_ids) + len(val_ids):,} characters, vocabulary {len(vocab)}; "
          f"{sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{args.epochs} epoch(s) x {len(chunks)} chunks of {args.batch}x{args.bptt}")
    print(f"initial validation loss {evaluate(model, val, args.bptt):.3f} (uniform guess: {np.log(len(vocab)):.3f})")

    smooth = None
    for epoch in range(args.epochs):
        state = None
        bar = progress(chunks, len(chunks), f"epoch {epoch + 1}/{args.epochs}")
        for step, i in enumerate(bar):
            x = train[:, i:i + args.bptt]
            y = train[:, i + 1:i + 1 + args.bptt]
            x = x[:, :y.shape[1]]
            if state is not None:  # truncated BPTT: keep the state's value, cut its history
                state = tuple(s.detach() for s in state)
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            smooth = loss.item() if smooth is None else 0.9 * smooth + 0.1 * loss.item()
            report(bar, step, len(chunks), every=max(len(chunks) // 10, 1), loss=smooth)
        print(f"epoch {epoch + 1}: train loss {smooth:.3f}  validation loss {evaluate(model, val, args.bptt):.3f}")

    text = sample(model, vocab, vocab.known("The "), args.sample_len, args.temperature)
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "chars": vocab.chars, "args": vars(args)}
    finish("char_lstm", text, state, args.out, smooth, timer(), args.temperature)


if __name__ == "__main__":
    main()
