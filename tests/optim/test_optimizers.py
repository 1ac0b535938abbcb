"""ember.optim's optimizers against torch.optim: trajectories over 50 steps from the same weights on the same loss (each
framework computing its own gradients), state_dict structure and bit-identical resumption, torch checkpoints loaded
into ember, param groups, hooks, LBFGS with its line search, and torch's errors."""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.optim import optimizer as optimizer_module

_rng = np.random.default_rng(0)
WEIGHTS = [(_rng.standard_normal(s) * scale).astype(np.float32)
           for s, scale in (((8, 5), 0.5), ((8,), 0.1), ((3, 8), 0.5), ((3,), 0.1))]
X = _rng.standard_normal((16, 5)).astype(np.float32)
Y = _rng.standard_normal((16, 3)).astype(np.float32)

# (optimizer, options); every run puts the second layer in its own group with half the learning rate. The options
# avoid settings where float32 cancellation makes the trajectory chaotic (centered RMSprop with alpha=0.9, NAdam with
# weight_decay=0.1 here): there the two frameworks' gradient rounding differences grow past 1e-5 within 50 steps,
# though in float64 the same runs agree to 1e-9.
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True, foreach=False)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.01, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RMSprop", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3, alpha=0.95, centered=True)),
    ("RMSprop", dict(lr=1e-3, momentum=0.5, weight_decay=0.1, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("ASGD", dict(lr=0.05, t0=10)),
    ("ASGD", dict(lr=0.05, lambd=1e-3, alpha=0.5, t0=5, weight_decay=0.1)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1), maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]


def _make(m, name, kw, dtype=np.float32, weights=None):
    params = [m.tensor(w.astype(dtype), requires_grad=True) for w in (WEIGHTS if weights is None else weights)]
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": kw.get("lr", 1e-3) / 2}]
    return params, getattr(m.optim, name)(groups, **kw)


def _closure(m, params, opt, maximize=False, dtype=np.float32):
    """zero_grad, forward, backward; the loss is negated when maximizing so that both runs stay bounded."""
    x, y = m.tensor(X.astype(dtype)), m.tensor(Y.astype(dtype))

    def closure():
        opt.zero_grad()
        out = m.tanh(x @ params[0].T + params[1]) @ params[2].T + params[3]
        loss = ((out - y) ** 2).mean()
        loss = -loss if maximize else loss
        loss.backward()
        return loss
    return closure


def _flat(params) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in params])


def _run(m, name, kw, steps, dtype=np.float32, every=1, opt_and_params=None):
    params, opt = opt_and_params or _make(m, name, kw, dtype)
    closure = _closure(m, params, opt, kw.get("maximize", False), dtype)
    out = []
    for i in range(steps):
        closure()
        opt.step()
        if (i + 1) % every == 0:
            out.append(_flat(params))
    return np.array(out), params, opt


def _state_arrays(state_dict) -> list:
    """Every tensor in a state_dict's state, as arrays, in a fixed order."""
    out = []
    for index in sorted(state_dict["state"]):
        for key, value in sorted(state_dict["state"][index].items()):
            if isinstance(value, (ember.Tensor, torch.Tensor)):
                out.append(np.asarray(value.detach().numpy(), dtype=np.float64))
    return out


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_trajectory_matches_torch(name, kw):
    """Parameters every 5 steps, and the final state (moments, averages, step sizes, step counts)."""
    ours, _, opt = _run(ember, name, kw, 50, every=5)
    theirs, _, topt = _run(torch, name, kw, 50, every=5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    state, tstate = _state_arrays(opt.state_dict()), _state_arrays(topt.state_dict())
    assert len(state) == len(tstate) > 0 or name == "SGD" and not kw.get("momentum")
    for a, b in zip(state, tstate):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,kw", CASES[::2], ids=IDS[::2])
def test_trajectory_matches_torch_float64(name, kw):
    """In float64 the gradients' rounding differences stay tiny, so the update formulas are checked tightly."""
    ours, params, _ = _run(ember, name, kw, 30, np.float64, every=10)
    theirs, _, _ = _run(torch, name, kw, 30, np.float64, every=10)
    assert params[0].dtype == ember.float64
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def _torch_to_ember(value):
    if isinstance(value, torch.Tensor):
        return ember.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: _torch_to_ember(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_torch_to_ember(v) for v in value)
    return value


def _same_structure(ours, theirs, path="state_dict"):
    """Same keys, same Python types (ember.Tensor for torch.Tensor, with equal shape and dtype), equal plain values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), path
        assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype)[6:] == str(theirs.dtype)[6:], path
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs), path
        for k in theirs:
            _same_structure(ours[k], theirs[k], f"{path}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _same_structure(a, b, f"{path}[{i}]")
    else:
        assert ours == theirs and type(ours) is type(theirs), path


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_state_dict_structure_matches_torch(name, kw):
    _, _, ours = _run(ember, name, kw, 3)
    _, _, theirs = _run(torch, name, kw, 3)
    _same_structure(ours.state_dict(), theirs.state_dict())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name,kw", CASES[1::2], ids=IDS[1::2])
def test_resume_from_state_dict_is_bit_identical(name, kw):
    straight, _, _ = _run(ember, name, kw, 40)
    _, params, opt = _run(ember, name, kw, 20)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), [p.detach().numpy().copy() for p in params])))
    params2, opt2 = _make(ember, name, kw, weights=saved[1])
    opt2.load_state_dict(saved[0])
    resumed, _, _ = _run(ember, name, kw, 20, opt_and_params=(params2, opt2))
    np.testing.assert_array_equal(resumed, straight[20:])


@pytest.mark.parametrize("name,kw", CASES[::3], ids=IDS[::3])
def test_continue_from_torch_state_dict(name, kw):
    _, tparams, topt = _run(torch, name, kw, 20)
    weights = [p.detach().numpy().copy() for p in tparams]
    params, opt = _make(ember, name, kw, weights=weights)
    opt.load_state_dict(_torch_to_ember(topt.state_dict()))
    ours, _, _ = _run(ember, name, kw, 20, opt_and_params=(params, opt))
    theirs, _, _ = _run(torch, name, kw, 20, opt_and_params=(tparams, topt))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kw", [CASES[2], CASES[5], CASES[18], CASES[12], CASES[24], CASES[26]])
def test_blocked_update_equals_whole_array_update(monkeypatch, name, kw):
    """Large parameters are updated in first-axis blocks; the result must not depend on the block size, also for a
    gradient that is a transposed (non-contiguous) array."""
    def run():
        w = [np.linspace(-1, 1, 12 * 7, dtype=np.float32).reshape(12, 7), np.linspace(0, 1, 3, dtype=np.float32)]
        params = [ember.tensor(a, requires_grad=True) for a in w]
        opt = getattr(ember.optim, name)(params, **kw)
        for i in range(5):
            params[0].grad = ember.tensor(np.cos(np.arange(84.0) + i).astype(np.float32).reshape(7, 12).T)
            params[1].grad = ember.tensor(np.sin(np.arange(3.0) + i).astype(np.float32))
            opt.step()
        return _flat(params)
    whole = run()
    monkeypatch.setattr(optimizer_module, "_BLOCK_BYTES", 40)
    assert len(optimizer_module._blocks(np.zeros((12, 7), np.float32))) == 12
    np.testing.assert_array_equal(run(), whole)


def test_add_param_group_mid_training():
    def run(m):
        params, opt = _make(m, "Adam", dict(lr=0.01))
        extra = m.tensor(np.linspace(-1, 1, 6).astype(np.float32), requires_grad=True)
        out = []
        for i in range(10):
            if i == 4:
                opt.add_param_group({"params": extra, "lr": 0.05, "amsgrad": True})
            opt.zero_grad()
            loss = ((params[0] * params[0]).sum() + (extra - 0.5).pow(2).sum()) * 0.5
            loss.backward()
            opt.step()
            out.append(np.concatenate([_flat(params), extra.detach().numpy()]))
        return np.array(out), opt
    (ours, opt), (theirs, topt) = run(ember), run(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    _same_structure(opt.state_dict(), topt.state_dict())
    assert opt.param_groups[2]["amsgrad"] and opt.param_groups[2]["betas"] == (0.9, 0.999)


def test_params_given_as_named_parameters_and_module_parameters():
    model = ember.nn.Linear(3, 2)
    opt = ember.optim.SGD(model.named_parameters(), lr=0.1)
    tmodel = torch.nn.Linear(3, 2)
    topt = torch.optim.SGD(tmodel.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"] == ["weight", "bias"]
    _same_structure(opt.state_dict(), topt.state_dict())
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [ember.zeros(2, requires_grad=True)]})
    assert len(ember.optim.Adam(model.parameters()).param_groups[0]["params"]) == 2


def test_zero_grad():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    grad = p.grad
    version = grad._version
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and grad.tolist() == [0.0, 0.0] and grad._version > version
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing moves, no state is made
    assert p.tolist() == [1.0, 2.0] and len(opt.state) == 0


def test_step_bumps_the_version_once_and_returns_the_closure_loss():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.Adam([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    version = p._version
    loss = opt.step(closure)
    assert loss.item() == 5.0 and p._version == version + 1
    assert loss.requires_grad  # the closure runs with grad enabled
    with ember.no_grad():
        assert opt.step(closure).requires_grad


def test_lbfgs_strong_wolfe_matches_torch():
    def run(m, **kw):
        params = [m.tensor(w.astype(np.float64), requires_grad=True) for w in WEIGHTS]
        opt = m.optim.LBFGS(params, **kw)
        closure = _closure(m, params, opt, dtype=np.float64)
        out = [_flat(params) for _ in range(3) if opt.step(closure) is not None]
        return np.array(out), opt, params
    for kw in (dict(line_search_fn="strong_wolfe"), dict(lr=0.5, max_iter=10, history_size=3,
                                                         line_search_fn="strong_wolfe"),
               dict(lr=0.01, max_iter=4, line_search_fn="strong_wolfe"), dict(max_iter=5)):
        (ours, opt, params), (theirs, topt, tparams) = run(ember, **kw), run(torch, **kw)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
        state, tstate = opt.state[params[0]], topt.state[tparams[0]]
        assert (state["func_evals"], state["n_iter"]) == (tstate["func_evals"], tstate["n_iter"])
        _same_structure(opt.state_dict()["param_groups"], topt.state_dict()["param_groups"])
        assert sorted(opt.state_dict()["state"][0]) == sorted(topt.state_dict()["state"][0])
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        ember.optim.LBFGS([{"params": [params[0]]}, {"params": [params[1]]}])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        ember.optim.LBFGS(params, line_search_fn="armijo").step(_closure(ember, params, opt, dtype=np.float64))


def test_lbfgs_float32_converges_like_torch():
    def run(m):
        params = [m.tensor(w, requires_grad=True) for w in WEIGHTS]
        opt = m.optim.LBFGS(params, line_search_fn="strong_wolfe", max_iter=50)
        return float(opt.step(_closure(m, params, opt)).detach()), float(_closure(m, params, opt)().detach())
    (first, last), (tfirst, tlast) = run(ember), run(torch)
    assert first == pytest.approx(tfirst, rel=1e-6) and last == pytest.approx(tlast, rel=0.05, abs=1e-4)


def test_hooks_and_scheduler_bookkeeping():
    p = ember.tensor([1.0], requires_grad=True)
    p.grad = ember.tensor([1.0])
    opt = ember.optim.SGD([p], lr=0.5)
    assert opt._opt_called is False and opt._step_count == 0
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt, args, kwargs)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", args)))
    g = optimizer_module.register_optimizer_step_pre_hook(lambda o, args, kwargs: calls.append("global"))
    opt.step()
    assert calls == ["global", ("pre", True, (), {}), ("post", ())]
    assert opt._opt_called is True and opt._step_count == 1
    h1.remove(), h2.remove(), g.remove()
    opt.register_step_pre_hook(lambda o, args, kwargs: ((None,), {}))  # a pre-hook may replace the arguments
    opt.step()
    assert opt._step_count == 2 and p.tolist() == [0.0]
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.register_step_pre_hook(lambda o, args, kwargs: 3)
        opt.step()


def test_subclass_contract():
    class Sign(ember.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    self.state[p]["n"] = self.state[p].get("n", 0) + 1
                    with ember.no_grad():
                        p -= group["lr"] * p.grad.sign()

    class Twice(Sign):
        def step(self, closure=None):
            super().step()
            super().step()

    p = ember.tensor([1.0, -1.0], requires_grad=True)
    p.grad = ember.tensor([2.0, -3.0])
    opt = Twice([p])
    opt.step()
    assert p.tolist() == pytest.approx([0.8, -0.8]) and opt._step_count == 1  # nested steps count once
    assert opt.state_dict() == {"state": {0: {"n": 2}}, "param_groups": [{"lr": 0.1, "params": [0]}]}
    with pytest.raises(NotImplementedError):
        ember.optim.Optimizer([p], {}).step()
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Sign([p], lr=optimizer_module.required)


def test_state_dict_and_load_hooks():
    p = ember.tensor([1.0], requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.5, momentum=0.9)
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_state_dict_post_hook(lambda o, sd: seen.append("first"), prepend=True)
    sd = opt.state_dict()
    assert seen == ["pre", "first"] and sd["extra"] == 1
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items() if k != "extra"})
    opt.register_load_state_dict_post_hook(lambda o: seen.append("loaded"))
    sd["param_groups"][0]["lr"] = 0.25
    opt.load_state_dict(sd)
    assert seen[-1] == "loaded" and opt.param_groups[0]["lr"] == 0.25


def test_load_state_dict_casts_and_validates():
    p = ember.tensor([1.0, 2.0], requires_grad=True, dtype=ember.float64)
    q = ember.tensor([1.0], requires_grad=True)
    p.grad, q.grad = ember.ones_like(p), ember.ones_like(q)
    opt = ember.optim.Adam([p, q])
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].float()
    fresh = ember.optim.Adam([p, q])
    fresh.load_state_dict(sd)
    assert fresh.state[p]["exp_avg"].dtype == ember.float64 and fresh.state[p]["step"].dtype == ember.float32
    with pytest.raises(ValueError, match="different number of parameter groups"):
        ember.optim.Adam([{"params": [p]}, {"params": [q]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        ember.optim.Adam([p]).load_state_dict(sd)
    old = copy.deepcopy(sd)  # an older checkpoint: step as a number, an option missing
    old["state"][0]["step"] = 1
    del old["param_groups"][0]["decoupled_weight_decay"]
    fresh.load_state_dict(old)
    assert isinstance(fresh.state[p]["step"], ember.Tensor) and fresh.param_groups[0]["decoupled_weight_decay"] is False


def test_optimizer_pickles():
    params, opt = _make(ember, "Adam", dict(lr=0.01))
    _run(ember, "Adam", {}, 2, opt_and_params=(params, opt))
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.param_groups[0]["lr"] == 0.01 and len(clone.state) == 4 and clone._opt_called is False
    clone.register_step_pre_hook(lambda *a: None)


ERROR_CASES = [
    lambda m, p: m.optim.SGD(p, lr=-0.1),
    lambda m, p: m.optim.SGD(p, momentum=-1),
    lambda m, p: m.optim.SGD(p, lr=0.1, nesterov=True),
    lambda m, p: m.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda m, p: m.optim.Adam(p, lr=-1e-3),
    lambda m, p: m.optim.Adam(p, betas=(1.0, 0.999)),
    lambda m, p: m.optim.Adam(p, betas=(0.9, -0.1)),
    lambda m, p: m.optim.Adam(p, betas=(0, 0.999)),
    lambda m, p: m.optim.Adam(p, eps=-1),
    lambda m, p: m.optim.AdamW(p, weight_decay=-1),
    lambda m, p: m.optim.Adamax(p, lr=-1),
    lambda m, p: m.optim.NAdam(p, momentum_decay=-1),
    lambda m, p: m.optim.RAdam(p, betas=(0.9, 1.0)),
    lambda m, p: m.optim.RMSprop(p, alpha=-1),
    lambda m, p: m.optim.RMSprop(p, momentum=-1),
    lambda m, p: m.optim.Adagrad(p, lr_decay=-1),
    lambda m, p: m.optim.Adagrad(p, initial_accumulator_value=-1),
    lambda m, p: m.optim.Adadelta(p, rho=1.5),
    lambda m, p: m.optim.ASGD(p, lr=-1),
    lambda m, p: m.optim.Rprop(p, etas=(1.5, 1.2)),
    lambda m, p: m.optim.LBFGS(p, lr=-1),
    lambda m, p: m.optim.SGD([], lr=0.1),
    lambda m, p: m.optim.SGD(p[0], lr=0.1),
    lambda m, p: m.optim.SGD([p[0], 3], lr=0.1),
    lambda m, p: m.optim.SGD([p[0] * 2], lr=0.1),
    lambda m, p: m.optim.SGD([{"params": p}, {"params": p[:1], "lr": 0.2}], lr=0.1),
    lambda m, p: m.optim.SGD([{"params": set(p)}], lr=0.1),
    lambda m, p: m.optim.SGD([("a", p[0]), p[1]], lr=0.1),
    lambda m, p: m.optim.SGD(p, lr=0.1).add_param_group(p),
    lambda m, p: m.optim.SGD(p, lr=0.1).add_param_group({"params": p[1]}),
]


@pytest.mark.parametrize("i", range(len(ERROR_CASES)))
def test_errors_match_torch(i):
    def outcome(m):
        params = [m.zeros(2, requires_grad=True), m.zeros(3, requires_grad=True)]
        try:
            ERROR_CASES[i](m, params)
        except Exception as e:  # noqa: BLE001 - the class and message are what is compared
            return type(e), str(e).replace("torch.", "").replace("ember.", "")
        return None
    ours, theirs = outcome(ember), outcome(torch)
    assert theirs is not None and ours == theirs


def test_duplicate_parameter_in_a_group_warns():
    p = ember.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([p, p], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.optim.SGD([p], lr=0.1)


def test_hyperparameters_from_numpy_and_tensors_keep_float32():
    """A scheduler may store NumPy float64 learning rates; a 1-element tensor lr is accepted as in torch."""
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    p.grad = ember.tensor([0.5, 0.25])
    opt = ember.optim.SGD([p], lr=ember.tensor(0.1), momentum=np.float64(0.9))
    opt.param_groups[0]["lr"] = np.float64(0.1)
    opt.step()
    assert p.dtype == ember.float32 and p.tolist() == torch.tensor([1.0, 2.0]).sub_(
        torch.tensor([0.5, 0.25]), alpha=0.1).tolist()
