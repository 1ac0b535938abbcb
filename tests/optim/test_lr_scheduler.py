"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr (and momentum) sequences, state_dict resume,
warnings and errors. The schedule math is Python floats in both, so sequences must agree to rtol 1e-12."""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

LRS = (0.1, 0.05, 0.02)
STEPS = 60


def make_optimizer(m, kind: str = "sgd", lrs=LRS):
    """Three param groups with different lrs (SGD with momentum, or Adam)."""
    groups = [{"params": [m.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "adam":
        return m.optim.Adam(groups, lr=1e-3, betas=(0.9, 0.99))
    return m.optim.SGD(groups, lr=1e-3, momentum=0.9)


def snapshot(opt, sched) -> list[float]:
    """get_last_lr(), the groups' lrs and (where cycled) momentum or beta1, as floats."""
    row = [float(lr) for lr in sched.get_last_lr()] + [float(g["lr"]) for g in opt.param_groups]
    for g in opt.param_groups:
        if "betas" in g:
            row.append(float(g["betas"][0]))
        elif "momentum" in g:
            row.append(float(g["momentum"]))
    return row


def trajectory(m, build, kind="sgd", steps=STEPS, epochs=None) -> np.ndarray:
    """Rows of snapshot() after construction and after each optimizer.step(); scheduler.step() pair.

    With epochs, steps with the deprecated step(epoch) form instead.
    """
    opt = make_optimizer(m, kind)
    sched = build(m.optim.lr_scheduler, opt)
    rows = [snapshot(opt, sched)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning on the normal path
        if epochs is not None:
            warnings.filterwarnings("ignore", "The epoch parameter")
        for i in range(steps if epochs is None else len(epochs)):
            opt.step()
            sched.step() if epochs is None else sched.step(epochs[i])
            rows.append(snapshot(opt, sched))
    return np.array(rows)


def assert_same(ours, theirs):
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


lam = lambda e: 0.95 ** e  # noqa: E731
SCHEDULES = {
    "lambda": lambda S, o: S.LambdaLR(o, lam),
    "lambda_per_group": lambda S, o: S.LambdaLR(o, [lam, lambda e: 1 / (1 + e), lambda e: (e % 7) / 7]),
    "multiplicative": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.9),
    "multiplicative_per_group": lambda S, o: S.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1.01, lam]),
    "step": lambda S, o: S.StepLR(o, 7, gamma=0.5),
    "step_default": lambda S, o: S.StepLR(o, 3),
    "multistep": lambda S, o: S.MultiStepLR(o, [5, 12, 12, 30], gamma=0.3),
    "constant": lambda S, o: S.ConstantLR(o),
    "constant_opts": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=10),
    "linear": lambda S, o: S.LinearLR(o),
    "linear_decay": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20),
    "linear_opts": lambda S, o: S.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=33),
    "exponential": lambda S, o: S.ExponentialLR(o, 0.93),
    "polynomial": lambda S, o: S.PolynomialLR(o),
    "polynomial_opts": lambda S, o: S.PolynomialLR(o, total_iters=30, power=2.0),
    "cosine": lambda S, o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "cosine_long": lambda S, o: S.CosineAnnealingLR(o, 25),
    "warm_restarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5),
    "warm_restarts_mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
    "cyclic": lambda S, o: S.CyclicLR(o, 0.01, [0.1, 0.2, 0.3], step_size_up=7),
    "cyclic_triangular2": lambda S, o: S.CyclicLR(o, [0.01, 0.02, 0.03], 0.5, step_size_up=3, step_size_down=5,
                                                  mode="triangular2", base_momentum=0.7, max_momentum=0.95),
    "cyclic_exp_range": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range", gamma=0.97),
    "cyclic_scale_fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5, scale_fn=lambda x: 1 / (1 + x),
                                               scale_mode="iterations", base_momentum=[0.5, 0.6, 0.7]),
    "cyclic_scale_fn_cycle": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5, scale_fn=lambda x: 0.8 ** x),
    "cyclic_no_momentum": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=6, cycle_momentum=False),
    "onecycle": lambda S, o: S.OneCycleLR(o, max_lr=[0.1, 0.2, 0.3], total_steps=STEPS + 1),
    "onecycle_linear": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=STEPS + 5, anneal_strategy="linear",
                                                 pct_start=0.4),
    "onecycle_three_phase": lambda S, o: S.OneCycleLR(o, 0.1, epochs=6, steps_per_epoch=11, three_phase=True,
                                                      div_factor=10.0, final_div_factor=100.0),
    "onecycle_no_momentum": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=STEPS, cycle_momentum=False),
    "onecycle_momentum": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=STEPS, base_momentum=[0.8, 0.7, 0.6],
                                                   max_momentum=0.99),
    "sequential": lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                  S.ExponentialLR(o, 0.9)], milestones=[5]),
    "sequential_three": lambda S, o: S.SequentialLR(o, [S.ConstantLR(o, 0.5, total_iters=3), S.StepLR(o, 4, 0.5),
                                                        S.CosineAnnealingLR(o, 12)], milestones=[6, 20]),
    "chained": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=4), S.ExponentialLR(o, 0.9)]),
    "chained_three": lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, 0.2, total_iters=8), S.MultiStepLR(o, [10, 20]), S.CosineAnnealingLR(o, 15)], optimizer=o),
}
ADAM_SCHEDULES = ["cyclic", "cyclic_triangular2", "onecycle", "onecycle_three_phase", "step", "chained"]


@pytest.mark.parametrize("name", SCHEDULES)
def test_sequence_matches_torch(name):
    build = SCHEDULES[name]
    assert_same(trajectory(ember, build), trajectory(torch, build))


@pytest.mark.parametrize("name", ADAM_SCHEDULES)
def test_sequence_matches_torch_adam(name):
    """Adam-like optimizers cycle beta1 instead of momentum."""
    build = SCHEDULES[name]
    assert_same(trajectory(ember, build, kind="adam"), trajectory(torch, build, kind="adam"))


def test_two_schedulers_on_one_optimizer_compose():
    """The chainable forms multiply: two schedulers stepped by hand on the same optimizer."""
    def run(m):
        opt = make_optimizer(m)
        S = m.optim.lr_scheduler
        first, second = S.StepLR(opt, 5, 0.5), S.CosineAnnealingLR(opt, 13, eta_min=1e-3)
        rows = []
        for _ in range(STEPS):
            opt.step()
            first.step()
            second.step()
            rows.append(first.get_last_lr() + second.get_last_lr())
        return np.array(rows)
    assert_same(run(ember), run(torch))


EPOCHS = [0, 3, 3, 7, 20, 5, 1, 11, 40, 12, 30, 0, 59, 15, 16, 17, 25]
STEP_WITH_EPOCH = ["step", "multistep", "constant_opts", "linear_decay", "exponential", "polynomial_opts", "cosine",
                   "lambda", "warm_restarts", "warm_restarts_mult", "multiplicative", "cyclic"]


@pytest.mark.parametrize("name", STEP_WITH_EPOCH)
def test_step_with_epoch_matches_torch(name):
    """The deprecated step(epoch) form: the closed form where the scheduler has one, else get_lr() at that epoch."""
    build = SCHEDULES[name]
    assert_same(trajectory(ember, build, epochs=EPOCHS), trajectory(torch, build, epochs=EPOCHS))


@pytest.mark.parametrize("name", ["warm_restarts", "warm_restarts_mult"])
def test_warm_restarts_fractional_epochs(name):
    epochs = [i * 0.37 for i in range(STEPS)] + [2.5, 0.1, 13.9, 7.0]
    build = SCHEDULES[name]
    assert_same(trajectory(ember, build, epochs=epochs), trajectory(torch, build, epochs=epochs))


@pytest.mark.parametrize("name", SCHEDULES)
def test_state_dict_resumes(name):
    """A scheduler restored (with its optimizer) from state_dicts continues the uninterrupted sequence."""
    build = SCHEDULES[name]
    kind = "adam" if name in ADAM_SCHEDULES else "sgd"
    expected = trajectory(ember, build, kind=kind)
    opt = make_optimizer(ember, kind)
    sched = build(ember.optim.lr_scheduler, opt)
    rows = [snapshot(opt, sched)]
    for _ in range(25):
        opt.step()
        sched.step()
        rows.append(snapshot(opt, sched))
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))

    opt = make_optimizer(ember, kind)
    sched = build(ember.optim.lr_scheduler, opt)
    for _ in range(3):  # the fresh scheduler's own progress must be overwritten
        opt.step()
        sched.step()
    opt.load_state_dict(saved[0])
    sched.load_state_dict(saved[1])
    for _ in range(STEPS - 25):
        opt.step()
        sched.step()
        rows.append(snapshot(opt, sched))
    assert_same(np.array(rows), expected)


@pytest.mark.parametrize("name", ["lambda", "step", "multistep", "cyclic", "cyclic_exp_range", "onecycle",
                                  "sequential", "chained", "warm_restarts", "cosine"])
def test_state_dict_matches_torch(name):
    """Same keys (torch's attribute names) and the same plain values, so checkpoints read alike."""
    def plain(state):
        return {k: (plain(v) if isinstance(v, dict) else [plain(x) for x in v] if k == "_schedulers" else v)
                for k, v in state.items() if isinstance(v, (int, float, str, list, tuple, dict, type(None)))}

    def state(m):
        opt = make_optimizer(m)
        sched = SCHEDULES[name](m.optim.lr_scheduler, opt)
        for _ in range(7):
            opt.step()
            sched.step()
        return sched.state_dict()
    ours, theirs = state(ember), state(torch)
    assert set(ours) == set(theirs)
    assert plain(ours) == plain(theirs)


class Decay:
    """A callable object: its __dict__ is saved by LambdaLR.state_dict (plain functions are not)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return self.rate ** epoch


def test_lambda_state_dict_saves_callable_objects():
    opt = make_optimizer(ember)
    sched = ember.optim.lr_scheduler.LambdaLR(opt, [Decay(0.5), lam, Decay(0.9)])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None, {"rate": 0.9}]
    other = ember.optim.lr_scheduler.LambdaLR(make_optimizer(ember), [Decay(0.1), lam, Decay(0.2)])
    other.load_state_dict(state)
    assert [other.lr_lambdas[0].rate, other.lr_lambdas[2].rate] == [0.5, 0.9]
    assert "lr_lambdas" in state  # load_state_dict leaves the caller's dict whole


def test_tensor_lrs_stay_tensors_updated_in_place():
    def run(m):
        opt = make_optimizer(m)
        lrs = [m.tensor(lr, dtype=m.float64) for lr in LRS]
        for group, lr in zip(opt.param_groups, lrs):
            group["lr"] = lr
        sched = m.optim.lr_scheduler.StepLR(opt, 4, gamma=0.5)
        rows = []
        for _ in range(12):
            opt.step()
            sched.step()
            assert all(g["lr"] is lr for g, lr in zip(opt.param_groups, lrs))
            assert all(isinstance(lr, m.Tensor) and lr is not g["lr"]
                       for lr, g in zip(sched.get_last_lr(), opt.param_groups))
            rows.append([float(lr) for lr in sched.get_last_lr()])
        assert isinstance(opt.param_groups[0]["initial_lr"], m.Tensor)
        return np.array(rows)
    assert_same(run(ember), run(torch))


# ---- ReduceLROnPlateau ----

METRICS = list(np.round(np.cumsum(np.random.default_rng(0).normal(0.0, 1.0, STEPS)), 3)) + [5.0] * 20
PLATEAU = {
    "default": {},
    "min_rel": {"patience": 3, "factor": 0.5},
    "max_abs": {"mode": "max", "threshold_mode": "abs", "threshold": 0.5, "patience": 2, "cooldown": 2},
    "max_rel": {"mode": "max", "patience": 1, "cooldown": 1, "factor": 0.3},
    "min_abs_min_lr": {"threshold_mode": "abs", "threshold": 0.2, "patience": 0, "min_lr": [0.01, 0.002, 0.0]},
    "eps": {"patience": 0, "factor": 0.9, "eps": 0.004},
}


def plateau_trajectory(m, kwargs, metrics=METRICS, tensor_metric=False) -> np.ndarray:
    opt = make_optimizer(m)
    sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    rows = []
    for value in metrics:
        opt.step()
        sched.step(m.tensor(value) if tensor_metric else value)
        rows.append(snapshot(opt, sched) + [sched.best, sched.num_bad_epochs, sched.cooldown_counter,
                                            sched.last_epoch])
    return np.array(rows)


@pytest.mark.parametrize("name", PLATEAU)
def test_plateau_matches_torch(name):
    assert_same(plateau_trajectory(ember, PLATEAU[name]), plateau_trajectory(torch, PLATEAU[name]))


def test_plateau_tensor_metric():
    kwargs = PLATEAU["min_rel"]
    assert_same(plateau_trajectory(ember, kwargs, tensor_metric=True),
                plateau_trajectory(torch, kwargs, tensor_metric=True))


def test_plateau_state_dict_resumes():
    kwargs = PLATEAU["max_abs"]
    expected = plateau_trajectory(ember, kwargs)
    opt = make_optimizer(ember)
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    for value in METRICS[:30]:
        opt.step()
        sched.step(value)
    saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    opt = make_optimizer(ember)
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", threshold_mode="rel")
    opt.load_state_dict(saved[0])
    sched.load_state_dict(saved[1])
    rows = []
    for value in METRICS[30:]:
        opt.step()
        sched.step(value)
        rows.append(snapshot(opt, sched) + [sched.best, sched.num_bad_epochs, sched.cooldown_counter,
                                            sched.last_epoch])
    assert_same(np.array(rows), expected[30:])


def test_plateau_new_param_group():
    """A group added later gets the default min_lr; with per-group min_lrs it is an error, as in torch."""
    for m in (ember, torch):
        opt = make_optimizer(m)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
        opt.add_param_group({"params": [m.zeros(1, requires_grad=True)], "lr": 0.3})
        sched.step(1.0)
        sched.step(2.0)
        assert sched.get_last_lr()[-1] == pytest.approx(0.03)
        opt = make_optimizer(m)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0, 0, 0])
        opt.add_param_group({"params": [m.zeros(1, requires_grad=True)], "lr": 0.3})
        sched.step(1.0)
        with pytest.raises(RuntimeError, match="differs from when `ReduceLROnPlateau` was initialized"):
            sched.step(2.0)


# ---- warnings ----

def _warnings_of(fn) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("m", [ember, torch], ids=["ember", "torch"])
def test_warning_scheduler_step_before_optimizer_step(m):
    def wrong_order():
        opt = make_optimizer(m)
        sched = m.optim.lr_scheduler.StepLR(opt, 2)
        sched.step()
        opt.step()
        sched.step()

    def right_order():
        opt = make_optimizer(m)
        sched = m.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        for _ in range(3):
            opt.step()
            sched.step()

    messages = _warnings_of(wrong_order)
    assert len(messages) == 1 and messages[0].startswith(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later")
    assert _warnings_of(right_order) == []


def test_warning_texts_match_torch():
    def scenarios(m):
        S = m.optim.lr_scheduler

        def overridden():
            opt = make_optimizer(m)
            sched = S.StepLR(opt, 2)
            opt.step = lambda: None
            opt.step()
            sched.step()

        def get_lr_directly():
            opt = make_optimizer(m)
            S.StepLR(opt, 2).get_lr()

        def with_epoch():
            opt = make_optimizer(m)
            sched = S.StepLR(opt, 2)
            opt.step()
            sched.step(3)

        def before_optimizer():
            opt = make_optimizer(m)
            S.OneCycleLR(opt, 0.1, total_steps=10).step()
        return [_warnings_of(fn) for fn in (overridden, get_lr_directly, with_epoch, before_optimizer)]
    ours, theirs = scenarios(ember), scenarios(torch)
    assert ours == theirs and all(len(w) == 1 for w in ours)


def test_optimizer_step_wrapped_once_and_still_works():
    opt = make_optimizer(ember)
    p = opt.param_groups[0]["params"][0]
    S = ember.optim.lr_scheduler
    S.StepLR(opt, 2)
    wrapped = opt.step
    S.ExponentialLR(opt, 0.9)
    assert opt.step is wrapped and opt.step._wrapped_by_lr_sched
    p.grad = ember.ones(2)
    opt.step()
    assert opt._opt_called and not np.allclose(p.detach().numpy(), 0.0)


def test_verbose_accepted_with_deprecation_warning(capsys):
    """torch 2.13 dropped verbose=; ember still accepts it (torch 2.6's behaviour) so older scripts run."""
    opt = make_optimizer(ember)
    with pytest.warns(UserWarning, match="The verbose parameter is deprecated"):
        sched = ember.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5, verbose=True)
    opt.step()
    sched.step()
    assert "Adjusting learning rate of group 2 to 1.0000e-02." in capsys.readouterr().out
    quiet = ember.optim.lr_scheduler.StepLR(make_optimizer(ember), 1, verbose="deprecated")
    assert "verbose" not in quiet.state_dict()


# ---- errors ----

def steps(sched, n: int) -> None:
    for _ in range(n):
        sched.step()


ERRORS = {
    "constant_factor": (ValueError, lambda S, o: S.ConstantLR(o, factor=2.0)),
    "linear_start": (ValueError, lambda S, o: S.LinearLR(o, start_factor=0.0)),
    "linear_end": (ValueError, lambda S, o: S.LinearLR(o, end_factor=1.5)),
    "lambda_count": (ValueError, lambda S, o: S.LambdaLR(o, [lam, lam])),
    "multiplicative_not_callable": (TypeError, lambda S, o: S.MultiplicativeLR(o, 0.9)),
    "warm_T0": (ValueError, lambda S, o: S.CosineAnnealingWarmRestarts(o, 0)),
    "warm_T_mult": (ValueError, lambda S, o: S.CosineAnnealingWarmRestarts(o, 2, T_mult=1.5)),
    "warm_eta_min": (ValueError, lambda S, o: S.CosineAnnealingWarmRestarts(o, 2, eta_min="0")),
    "warm_negative_epoch": (ValueError, lambda S, o: S.CosineAnnealingWarmRestarts(o, 2).step(-1)),
    "cyclic_mode": (ValueError, lambda S, o: S.CyclicLR(o, 0.1, 1.0, mode="sawtooth")),
    "cyclic_lr_count": (ValueError, lambda S, o: S.CyclicLR(o, [0.1, 0.2], 1.0)),
    "onecycle_no_steps": (ValueError, lambda S, o: S.OneCycleLR(o, 0.1)),
    "onecycle_bad_total": (ValueError, lambda S, o: S.OneCycleLR(o, 0.1, total_steps=0)),
    "onecycle_pct": (ValueError, lambda S, o: S.OneCycleLR(o, 0.1, total_steps=10, pct_start=1)),
    "onecycle_strategy": (ValueError, lambda S, o: S.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp")),
    "onecycle_past_end": (ValueError, lambda S, o: steps(S.OneCycleLR(o, 0.1, total_steps=3), 4)),
    "plateau_factor": (ValueError, lambda S, o: S.ReduceLROnPlateau(o, factor=1.0)),
    "plateau_mode": (ValueError, lambda S, o: S.ReduceLROnPlateau(o, mode="up")),
    "plateau_threshold_mode": (ValueError, lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="pct")),
    "plateau_min_lr_count": (ValueError, lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1])),
    "not_an_optimizer": (TypeError, lambda S, o: S.StepLR(o.param_groups, 2)),
    "resume_without_initial_lr": (KeyError, lambda S, o: S.StepLR(o, 2, last_epoch=5)),
    "sequential_milestones": (ValueError, lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], [])),
    "sequential_empty": (ValueError, lambda S, o: S.SequentialLR(o, [], [])),
    "sequential_plateau": (ValueError, lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2), S.ReduceLROnPlateau(o)],
                                                                   [3])),
    "chained_empty": (ValueError, lambda S, o: S.ChainedScheduler([])),
    "chained_other_optimizer": (ValueError, lambda S, o: S.ChainedScheduler([S.StepLR(o, 2)], optimizer=object())),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    error, build = ERRORS[name]
    messages = []
    for m in (ember, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(error) as info:
                build(m.optim.lr_scheduler, make_optimizer(m))
        messages.append(str(info.value))
    assert messages[0] == messages[1] or name in ("not_an_optimizer", "chained_other_optimizer")


def test_onecycle_trains_to_the_end_with_last_epoch_resume():
    """last_epoch >= 0 resumes a schedule from the groups' saved initial_lr/max_lr/min_lr (as torch)."""
    def run(m):
        opt = make_optimizer(m)
        S = m.optim.lr_scheduler
        sched = S.OneCycleLR(opt, 0.1, total_steps=30)
        for _ in range(10):
            opt.step()
            sched.step()
        resumed = S.OneCycleLR(opt, 0.1, total_steps=30, last_epoch=10)
        rows = [snapshot(opt, resumed)]
        for _ in range(19):
            opt.step()
            resumed.step()
            rows.append(snapshot(opt, resumed))
        return np.array(rows)
    assert_same(run(ember), run(torch))
