"""Extend ember in plain Python: a custom autograd.Function, checked by gradcheck, used inside a module.

The op is a numerically stable softplus, log(1 + exp(x)) computed as max(x, 0) + log1p(exp(-|x|)), so that neither
exp(1000) overflows nor log(1 + exp(-1000)) rounds to 0 too early; its backward is sigmoid(x). The backward is written
with ember ops, so it is itself differentiable and gradgradcheck passes too.

    python examples/custom_op.py                  # gradcheck, then train a small regressor
    python examples/custom_op.py --quick          # smoke test: a few steps
"""
from __future__ import annotations

import argparse
import math
import os

import ember as torch
from ember import nn
from ember.autograd import Function, gradcheck, gradgradcheck


class StableSoftplus(Function):
    """softplus(x) = log(1 + exp(x)) with a hand-written backward (what torch.nn.functional.softplus computes)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)  # d/dx log(1 + e^x) = e^x / (1 + e^x)


def stable_softplus(x: torch.Tensor) -> torch.Tensor:
    return StableSoftplus.apply(x)


class Softplus(nn.Module):
    """The custom op as a layer, usable wherever nn.Softplus is."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return stable_softplus(x)


def check_op() -> None:
    """Values against the built-in softplus, extreme inputs, then first and second derivatives by finite differences."""
    x = torch.linspace(-5, 5, 11)
    assert torch.allclose(stable_softplus(x), nn.functional.softplus(x), atol=1e-6)
    extreme = stable_softplus(torch.tensor([-1000.0, 0.0, 1000.0]))
    assert torch.isfinite(extreme).all() and extreme[2].item() == 1000.0, extreme
    print(f"softplus([-1000, 0, 1000]) = {extreme.tolist()} (finite: the naive log(1 + exp(x)) gives inf)")
    x64 = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    print("gradcheck (float64):", gradcheck(stable_softplus, (x64,)))
    print("gradgradcheck (float64):", gradgradcheck(stable_softplus, (x64,)))


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300, help="full-batch training steps (default 300)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 steps")
    parser.add_argument("--out", default="outputs/custom_op", help="directory for the checkpoint")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = 20 if args.quick else args.epochs

    torch.manual_seed(args.seed)
    check_op()

    # Fit y = sin(3x) on [-1, 1] with an MLP whose activations are the custom op.
    x = torch.linspace(-1, 1, 256).unsqueeze(1)
    y = torch.sin(3 * x)
    model = nn.Sequential(nn.Linear(1, 32), Softplus(), nn.Linear(32, 32), Softplus(), nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    loss_fn = nn.MSELoss()
    first = None
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
        if step == 1 or step % max(1, steps // 5) == 0 or step == steps:
            print(f"step {step:4d}/{steps}  mse {loss.item():.5f}")
    final = loss.item()
    print(f"mse went from {first:.5f} to {final:.5f} in {steps} steps")
    assert math.isfinite(final)

    os.makedirs(args.out, exist_ok=True)
    if hasattr(torch, "save"):
        torch.save(model.state_dict(), os.path.join(args.out, "custom_op.pt"))
        print(f"saved outputs to {os.path.abspath(args.out)}: custom_op.pt")
    else:
        print(f"note: this ember has no ember.save yet, so no checkpoint was saved in {os.path.abspath(args.out)}")
    return final


if __name__ == "__main__":
    main()
