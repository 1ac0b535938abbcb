"""Loss layers and their functional forms against torch: values and gradients over each loss's options (weight,
ignore_index, label smoothing, probability targets, N-d inputs, every reduction), legacy arguments, errors."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.nn.oracle import check_module
from tests.oracle.core import raises_like_torch

RNG = np.random.default_rng(0)
N, C = 6, 4


def arr(*shape, low=-2.0, high=2.0, dtype=np.float32):
    return RNG.uniform(low, high, shape).astype(dtype)


def idx(*shape, high=C):
    return RNG.integers(0, high, shape).astype(np.int64)


W = arr(C, low=0.2, high=1.5)
X, XND = arr(N, C), arr(2, C, 3, 2)
T, TND = idx(N), idx(2, 3, 2)
T_IGN = T.copy()
T_IGN[[1, 4]] = 2  # a class that ignore_index=2 drops
PROB, PROB_ND = arr(N, C, low=0, high=1), arr(2, C, 3, 2, low=0, high=1)
P01, Y01 = arr(N, C, low=0.02, high=0.98), (RNG.random((N, C)) < 0.5).astype(np.float32)
PM1 = np.where(RNG.random(N) < 0.5, 1.0, -1.0).astype(np.float32)
REDUCTIONS = ("mean", "sum", "none")

CE = [  # (id, kwargs for m -> dict, inputs)
    ("plain", lambda m: {}, [X, T]),
    ("weight", lambda m: {"weight": m.tensor(W)}, [X, T]),
    ("ignore_index", lambda m: {"ignore_index": 2}, [X, T_IGN]),
    ("weight_ignore", lambda m: {"weight": m.tensor(W), "ignore_index": 2}, [X, T_IGN]),
    ("smoothing", lambda m: {"label_smoothing": 0.2}, [X, T]),
    ("smoothing_weight_ignore", lambda m: {"label_smoothing": 0.3, "weight": m.tensor(W), "ignore_index": 2},
     [X, T_IGN]),
    ("probs", lambda m: {}, [X, PROB]),
    ("probs_weight_smoothing", lambda m: {"weight": m.tensor(W), "label_smoothing": 0.1}, [X, PROB]),
    ("nd", lambda m: {"weight": m.tensor(W)}, [XND, TND]),
    ("nd_smoothing_ignore", lambda m: {"label_smoothing": 0.1, "ignore_index": 1}, [XND, TND]),
    ("nd_probs", lambda m: {"weight": m.tensor(W)}, [XND, PROB_ND]),
    ("unbatched", lambda m: {"weight": m.tensor(W)}, [X[0], np.array(3)]),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw,inputs", [c[1:] for c in CE], ids=[c[0] for c in CE])
def test_cross_entropy(kw, inputs, reduction):
    check_module(lambda m: m.nn.CrossEntropyLoss(**kw(m), reduction=reduction), inputs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw,inputs", [c[1:] for c in CE if "probs" not in c[0] and "smoothing" not in c[0]],
                         ids=[c[0] for c in CE if "probs" not in c[0] and "smoothing" not in c[0]])
def test_nll(kw, inputs, reduction):
    check_module(lambda m: m.nn.NLLLoss(**kw(m), reduction=reduction), inputs, call=lambda mod, x, t: mod(x * 1, t))


LOSSES = [  # (id, constructor taking m and reduction, inputs)
    ("mse", lambda m, r: m.nn.MSELoss(reduction=r), [X, arr(N, C)]),
    ("l1", lambda m, r: m.nn.L1Loss(reduction=r), [X, arr(N, C)]),
    ("smooth_l1", lambda m, r: m.nn.SmoothL1Loss(reduction=r), [X, arr(N, C)]),
    ("smooth_l1_beta", lambda m, r: m.nn.SmoothL1Loss(reduction=r, beta=0.5), [X, arr(N, C)]),
    ("smooth_l1_beta0", lambda m, r: m.nn.SmoothL1Loss(reduction=r, beta=0.0), [X, arr(N, C)]),
    ("huber", lambda m, r: m.nn.HuberLoss(reduction=r), [X, arr(N, C)]),
    ("huber_delta", lambda m, r: m.nn.HuberLoss(reduction=r, delta=0.4), [X, arr(N, C)]),
    ("bce", lambda m, r: m.nn.BCELoss(reduction=r), [P01, Y01]),
    ("bce_soft_target", lambda m, r: m.nn.BCELoss(reduction=r), [P01, arr(N, C, low=0, high=1)]),
    ("bce_weight", lambda m, r: m.nn.BCELoss(weight=m.tensor(W), reduction=r), [P01, Y01]),
    ("bce_logits", lambda m, r: m.nn.BCEWithLogitsLoss(reduction=r), [X * 10, Y01]),
    ("bce_logits_weights", lambda m, r: m.nn.BCEWithLogitsLoss(weight=m.tensor(W), pos_weight=m.tensor(W[::-1].copy()),
                                                                reduction=r), [X, Y01]),
    ("kl_div", lambda m, r: m.nn.KLDivLoss(reduction=r), [np.log(P01), P01[::-1].copy()]),
    ("kl_div_log_target", lambda m, r: m.nn.KLDivLoss(reduction=r, log_target=True), [np.log(P01), X]),
    ("poisson", lambda m, r: m.nn.PoissonNLLLoss(reduction=r), [X, arr(N, C, low=0, high=5)]),
    ("poisson_full", lambda m, r: m.nn.PoissonNLLLoss(log_input=False, full=True, reduction=r),
     [arr(N, C, low=0.1, high=3), arr(N, C, low=0, high=5)]),
    ("gaussian", lambda m, r: m.nn.GaussianNLLLoss(reduction=r), [X, arr(N, C), arr(N, C, low=0.1, high=2)]),
    ("gaussian_full_short_var", lambda m, r: m.nn.GaussianNLLLoss(full=True, reduction=r),
     [X, arr(N, C), arr(N, low=0.1, high=2)]),
    ("gaussian_broadcast_var", lambda m, r: m.nn.GaussianNLLLoss(eps=0.5, reduction=r),
     [X, arr(N, C), arr(N, 1, low=0, high=2)]),
    ("cosine_embedding", lambda m, r: m.nn.CosineEmbeddingLoss(reduction=r), [X, arr(N, C), PM1]),
    ("cosine_embedding_margin", lambda m, r: m.nn.CosineEmbeddingLoss(0.3, reduction=r), [X, arr(N, C), PM1]),
    ("margin_ranking", lambda m, r: m.nn.MarginRankingLoss(0.5, reduction=r), [arr(N), arr(N), PM1]),
    ("hinge_embedding", lambda m, r: m.nn.HingeEmbeddingLoss(reduction=r), [X, np.broadcast_to(PM1[:, None],
                                                                                                (N, C)).copy()]),
    ("multi_margin", lambda m, r: m.nn.MultiMarginLoss(reduction=r), [X, T]),
    ("multi_margin_p2_weight", lambda m, r: m.nn.MultiMarginLoss(p=2, margin=0.5, weight=m.tensor(W), reduction=r),
     [X, T]),
    ("multilabel_margin", lambda m, r: m.nn.MultiLabelMarginLoss(reduction=r),
     [X, np.array([[3, 0, -1, 1]] * 3 + [[1, 1, 2, -1], [-1, 0, 0, 0], [0, 1, 2, 3]], dtype=np.int64)]),
    ("multilabel_soft_margin", lambda m, r: m.nn.MultiLabelSoftMarginLoss(reduction=r), [X, Y01]),
    ("multilabel_soft_margin_weight", lambda m, r: m.nn.MultiLabelSoftMarginLoss(weight=m.tensor(W), reduction=r),
     [X, Y01]),
    ("soft_margin", lambda m, r: m.nn.SoftMarginLoss(reduction=r), [X, np.sign(arr(N, C))]),
    ("triplet", lambda m, r: m.nn.TripletMarginLoss(reduction=r), [X, arr(N, C), arr(N, C)]),
    ("triplet_p1_swap", lambda m, r: m.nn.TripletMarginLoss(margin=2.0, p=1, swap=True, reduction=r),
     [X, arr(N, C), arr(N, C)]),
    ("triplet_distance", lambda m, r: m.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: (a - b).abs().sum(-1), margin=1.5, swap=True, reduction=r),
     [X, arr(N, C), arr(N, C)]),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("make,inputs", [c[1:] for c in LOSSES], ids=[c[0] for c in LOSSES])
def test_loss(make, inputs, reduction):
    # torch's soft_margin_loss refuses a target that requires grad
    call = (lambda mod, x, t: mod(x, t.detach())) if "SoftMargin" in repr(make(ember, reduction)) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warning
        check_module(lambda m: make(m, reduction), inputs, call=call)


def test_kl_div_batchmean_and_unbatched():
    check_module(lambda m: m.nn.KLDivLoss(reduction="batchmean"), [np.log(P01), P01])
    check_module(lambda m: m.nn.MultiMarginLoss(), [X[0], np.array(2)])
    check_module(lambda m: m.nn.MultiLabelMarginLoss(), [X[0], np.array([2, 0, -1, 3])])
    check_module(lambda m: m.nn.CosineEmbeddingLoss(), [X[0], X[1], np.array(-1.0, dtype=np.float32)])


def test_functional_weights():
    wt = arr(N, C, low=0, high=1)
    for name, kw in (("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {"delta": 0.5})):
        for r in REDUCTIONS:
            check_module(lambda m: m.nn.Identity(), [X, arr(N, C)],
                         call=lambda mod, a, b: getattr(mod.__class__.__module__.startswith("torch") and
                                                        torch.nn.functional or ember.nn.functional, name)(
                             a, b, reduction=r, weight=(torch.tensor if mod.__class__.__module__.startswith("torch")
                                                        else ember.tensor)(wt), **kw))


CTC_T, CTC_N, CTC_C = 12, 4, 5
CTC_IN = [5, 12, 9, 7]
CTC_TL = [3, 5, 0, 4]
CTC_PADDED = np.array([[1, 2, 2, 0, 0], [4, 3, 3, 3, 1], [0, 0, 0, 0, 0], [1, 1, 2, 4, 4]], dtype=np.int64)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc(reduction, zero_infinity, concatenated):
    targets = np.concatenate([row[:k] for row, k in zip(CTC_PADDED, CTC_TL)]) if concatenated else CTC_PADDED
    in_len = [1, 12, 9, 7] if zero_infinity else CTC_IN  # the first sample cannot emit its target: infinite loss
    check_module(lambda m: m.nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity),
                 [arr(CTC_T, CTC_N, CTC_C), targets],
                 call=lambda mod, x, t: mod(x.log_softmax(2), t, in_len, CTC_TL), atol=1e-5)


def test_ctc_blank_tensor_lengths_and_unbatched():
    targets = CTC_PADDED + 1
    targets[targets == 5] = 1
    for lens in (lambda m: (m.tensor(CTC_IN), m.tensor(CTC_TL)), lambda m: (tuple(CTC_IN), tuple(CTC_TL))):
        check_module(lambda m: m.nn.CTCLoss(blank=0), [arr(CTC_T, CTC_N, CTC_C), targets],
                     call=lambda mod, x, t: mod(x.log_softmax(2), t, *lens(ember if isinstance(x, ember.Tensor)
                                                                          else torch)))
    check_module(lambda m: m.nn.CTCLoss(blank=4, reduction="sum"), [arr(CTC_T, CTC_N, CTC_C), CTC_PADDED % 4],
                 call=lambda mod, x, t: mod(x.log_softmax(2), t, CTC_IN, CTC_TL))
    check_module(lambda m: m.nn.CTCLoss(), [arr(CTC_T, CTC_C), CTC_PADDED[1]],
                 call=lambda mod, x, t: mod(x.log_softmax(1), t, [12], [5]))


def test_ctc_infinite_loss():
    """Without zero_infinity an impossible alignment gives an infinite loss, as in torch."""
    lp = arr(CTC_T, CTC_N, CTC_C)
    e = ember.nn.functional.ctc_loss(ember.tensor(lp).log_softmax(2), ember.tensor(CTC_PADDED), [2, 12, 9, 7], CTC_TL,
                                     reduction="none")
    t = torch.nn.functional.ctc_loss(torch.tensor(lp).log_softmax(2), torch.tensor(CTC_PADDED), [2, 12, 9, 7],
                                     CTC_TL, reduction="none")
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5)
    assert np.isinf(e.numpy()[0])


@pytest.mark.parametrize("size_average,reduce", [(None, False), (False, None), (True, True), (False, True)])
def test_legacy_reduction_args(size_average, reduce):
    for make, inputs in ((lambda m: m.nn.CrossEntropyLoss(size_average=size_average, reduce=reduce), [X, T]),
                         (lambda m: m.nn.MSELoss(size_average, reduce), [X, arr(N, C)]),
                         (lambda m: m.nn.BCELoss(None, size_average, reduce), [P01, Y01])):
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            tmod = make(torch)
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") as ew:
            emod = make(ember)
        assert emod.reduction == tmod.reduction
        assert str(ew[0].message) == str(tw[0].message)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_module(make, inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = ember.nn.functional.nll_loss(ember.tensor(X), ember.tensor(T), size_average=size_average, reduce=reduce)
        t = torch.nn.functional.nll_loss(torch.tensor(X), torch.tensor(T), size_average=size_average, reduce=reduce)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_kl_div_mean_warns_and_mse_broadcast_warns():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        ember.nn.functional.kl_div(ember.tensor(X), ember.tensor(P01))
    with pytest.warns(UserWarning, match="different to the input size"):
        ember.nn.functional.mse_loss(ember.tensor(X), ember.tensor(X[0]))


def test_repr_and_buffers():
    for make in (lambda m: m.nn.CrossEntropyLoss(weight=m.ones(3)), lambda m: m.nn.BCEWithLogitsLoss(),
                 lambda m: m.nn.CTCLoss(), lambda m: m.nn.TripletMarginLoss(), lambda m: m.nn.NLLLoss()):
        e, t = make(ember), make(torch)
        assert repr(e) == repr(t)
        assert list(e.state_dict()) == list(t.state_dict())


def test_cross_entropy_double_backward():
    """The fused op's gradient is differentiable: Hessian-vector products match torch."""
    outs = []
    for m in (ember, torch):
        x = m.tensor(X.astype(np.float64), requires_grad=True)
        loss = m.nn.functional.cross_entropy(x, m.tensor(T_IGN), weight=m.tensor(W.astype(np.float64)),
                                             ignore_index=2, label_smoothing=0.1)
        (g,) = m.autograd.grad(loss, x, create_graph=True)
        (h,) = m.autograd.grad((g * g).sum(), x)
        outs.append((g.detach().numpy(), h.numpy()))
    for e, t in zip(*outs):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-9)


ERRORS = [  # (id, fn(m)) must raise torch's exception class
    ("nll_out_of_bounds", lambda m: m.nn.NLLLoss()(m.zeros(3, 4), m.tensor([0, 4, 1]))),
    ("ce_out_of_bounds", lambda m: m.nn.CrossEntropyLoss()(m.zeros(3, 4), m.tensor([0, -3, 1]))),
    ("ce_batch", lambda m: m.nn.CrossEntropyLoss()(m.zeros(3, 4), m.tensor([0, 1]))),
    ("ce_int_target", lambda m: m.nn.CrossEntropyLoss()(m.zeros(3, 4), m.tensor([0, 1, 1], dtype=m.int32))),
    ("ce_int_input", lambda m: m.nn.CrossEntropyLoss()(m.zeros(3, 4, dtype=m.int64), m.tensor([0, 1, 1]))),
    ("ce_smoothing_range", lambda m: m.nn.CrossEntropyLoss(label_smoothing=1.5)(m.zeros(3, 4), m.tensor([0, 1, 1]))),
    ("bce_range", lambda m: m.nn.BCELoss()(m.ones(3) * 2, m.ones(3))),
    ("bce_size", lambda m: m.nn.BCELoss()(m.ones(3) / 2, m.ones(4))),
    ("bce_logits_size", lambda m: m.nn.BCEWithLogitsLoss()(m.ones(3), m.ones(3, 1))),
    ("mse_int", lambda m: m.nn.MSELoss()(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.int64))),
    ("mse_shape", lambda m: m.nn.MSELoss()(m.ones(3, 2), m.ones(4, 2))),
    ("huber_int", lambda m: m.nn.HuberLoss()(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.int64))),
    ("kl_int", lambda m: m.nn.KLDivLoss(reduction="sum")(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.int64))),
    ("multi_margin_p", lambda m: m.nn.MultiMarginLoss(p=3)),
    ("multi_margin_int", lambda m: m.nn.MultiMarginLoss()(m.ones(2, 3, dtype=m.int64), m.tensor([0, 1]))),
    ("triplet_margin", lambda m: m.nn.TripletMarginLoss(margin=0.0)),
    ("triplet_dims", lambda m: m.nn.TripletMarginLoss()(m.ones(2, 3), m.ones(2, 3), m.ones(3))),
    ("margin_ranking_dims", lambda m: m.nn.MarginRankingLoss()(m.ones(2, 3), m.ones(2, 3), m.ones(2))),
    ("gaussian_var_size", lambda m: m.nn.GaussianNLLLoss()(m.ones(2, 3), m.ones(2, 3), m.ones(3, 2))),
    ("gaussian_var_negative", lambda m: m.nn.GaussianNLLLoss()(m.ones(2, 3), m.ones(2, 3), -m.ones(2, 3))),
    ("bad_reduction", lambda m: m.nn.L1Loss(reduction="avg")(m.ones(2), m.ones(2))),
    ("ctc_lengths", lambda m: m.nn.CTCLoss()(m.zeros(5, 2, 3), m.ones(2, 2, dtype=m.int64), [5, 7], [2, 2])),
]


@pytest.mark.parametrize("fn", [f for _, f in ERRORS], ids=[n for n, _ in ERRORS])
def test_error_parity(fn):
    raises_like_torch(fn, runtime_errors_alike=True)


def test_error_names_the_loss():
    with pytest.raises(IndexError, match="Target 4 is out of bounds") as err:
        ember.nn.CrossEntropyLoss()(ember.zeros(3, 4), ember.tensor([0, 4, 1]))
    assert "cross_entropy" in str(err.value) and "CrossEntropyLoss" in str(err.value)
