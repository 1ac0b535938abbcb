"""OpInfo rows: fused loss ops (ember/ops/nn_loss.py: cross_entropy_loss, nll_loss, ctc_loss) through their
nn.functional forms, and their error parity. Module-level checks are in tests/nn/test_loss.py."""
from tests.oracle.core import ErrorInput, OpInfo, T

F2 = ("float32", "float64")
IDX = T((4,), dtype="int64", low=0, high=3)          # class indices for C = 3
W = T((3,), low=0.2, high=1.0, grad=False)
CLS = [((4, 3), IDX), ((4, 3), IDX, W), ((2, 3, 2, 2), T((2, 2, 2), dtype="int64", low=0, high=3), W),
       ((3,), T((), dtype="int64", low=0, high=3)), ((0, 3), T((0,), dtype="int64", low=0, high=3))]
PROB = [((4, 3), T((4, 3), low=0, high=1)), ((4, 3), T((4, 3), low=0, high=1), W),
        ((2, 3, 2), T((2, 3, 2), low=0, high=1), W)]


def ce(m, x, t, w=None, **kw):
    return [m.nn.functional.cross_entropy(x, t, weight=w, reduction=r, **kw) for r in ("mean", "sum", "none")]


def nll(m, x, t, w=None, **kw):
    return [m.nn.functional.nll_loss(x, t, weight=w, reduction=r, **kw) for r in ("mean", "sum", "none")]


def ctc(m, x, t, reduction="none", **kw):
    return m.nn.functional.ctc_loss(x.log_softmax(2), t, [5, 4, 3], [3, 2, 0], reduction=reduction, **kw)


OPS = [
    OpInfo("cross_entropy_loss", ce, CLS, dtypes=("float32", "float64", "bfloat16"), order=2),
    OpInfo("cross_entropy_ignore_index", lambda m, x, t, w=None: ce(m, x, t, w, ignore_index=1), CLS[:3],
           dtypes=F2, order=2, covers=("cross_entropy_loss",)),
    OpInfo("cross_entropy_label_smoothing", lambda m, x, t, w=None: ce(m, x, t, w, ignore_index=2,
                                                                       label_smoothing=0.3),
           CLS[:3], dtypes=F2, order=2, covers=("cross_entropy_loss",)),
    OpInfo("cross_entropy_probs", lambda m, x, t, w=None: ce(m, x, t, w, label_smoothing=0.2), PROB, dtypes=F2,
           order=2, covers=("cross_entropy_loss",)),
    # noncontig=False: torch's nll_loss backward raises "grad_input must be contiguous" for a transposed input
    OpInfo("nll_loss", nll, CLS, dtypes=("float32", "float64", "bfloat16"), order=2, noncontig=False),
    OpInfo("nll_loss_ignore_index", lambda m, x, t, w=None: nll(m, x, t, w, ignore_index=0), CLS[:3], dtypes=F2,
           covers=("nll_loss",), noncontig=False),
    # every target ignored: a NaN loss with a zero gradient, as torch (float32 only: gradcheck of NaN is moot)
    OpInfo("nll_loss_all_ignored", lambda m, x, t: nll(m, x, t * 0 - 100), [((4, 3), IDX)], dtypes=("float32",),
           covers=("nll_loss",), noncontig=False),
    OpInfo("cross_entropy_all_ignored", lambda m, x, t: ce(m, x, t * 0 - 100, label_smoothing=0.1), [((4, 3), IDX)],
           dtypes=("float32",), covers=("cross_entropy_loss",)),
    OpInfo("ctc_loss", lambda m, x, t: [ctc(m, x, t), ctc(m, x, t, "mean"), ctc(m, x, t, "sum")],
           [((5, 3, 3), T((3, 3), dtype="int64", low=1, high=3))], dtypes=F2, order=1),
    OpInfo("ctc_loss_concatenated", lambda m, x, t: ctc(m, x, t, blank=2, zero_infinity=True),
           [((5, 3, 3), T((5,), dtype="int64", low=0, high=2))], dtypes=F2, covers=("ctc_loss",)),
]


def _x(m, *shape):
    return m.arange(float(m.tensor(shape).prod())).reshape(shape) / 10


ERRORS = [
    ErrorInput("nll_target_out_of_bounds", lambda m: m.nn.functional.nll_loss(_x(m, 3, 5), m.tensor([0, 5, 1]))),
    ErrorInput("nll_target_negative", lambda m: m.nn.functional.nll_loss(_x(m, 3, 5), m.tensor([0, -1, 1]))),
    ErrorInput("ce_target_out_of_bounds", lambda m: m.nn.functional.cross_entropy(_x(m, 3, 5), m.tensor([0, 7, 1]))),
    ErrorInput("ce_nd_target_out_of_bounds",
               lambda m: m.nn.functional.cross_entropy(_x(m, 2, 3, 2), m.tensor([[0, 3], [0, 0]]))),
    ErrorInput("ce_target_int32", lambda m: m.nn.functional.cross_entropy(_x(m, 3, 5),
                                                                          m.tensor([0, 1, 1], dtype=m.int32))),
    ErrorInput("ce_batch_mismatch", lambda m: m.nn.functional.cross_entropy(_x(m, 3, 5), m.tensor([0, 1]))),
    ErrorInput("nll_nd_target_shape", lambda m: m.nn.functional.nll_loss(_x(m, 2, 3, 4),
                                                                         m.zeros(2, 5, dtype=m.int64))),
    ErrorInput("ce_weight_size", lambda m: m.nn.functional.cross_entropy(_x(m, 3, 5), m.tensor([0, 1, 1]),
                                                                         weight=m.ones(4))),
    ErrorInput("ce_prob_target_long", lambda m: m.nn.functional.cross_entropy(_x(m, 3, 4),
                                                                              m.zeros(3, 4, dtype=m.int64))),
    ErrorInput("ce_float_target_wrong_shape", lambda m: m.nn.functional.cross_entropy(_x(m, 3, 4), m.zeros(3))),
    ErrorInput("ce_int_input", lambda m: m.nn.functional.cross_entropy(m.ones(3, 4, dtype=m.int64),
                                                                       m.tensor([0, 1, 1]))),
    ErrorInput("ce_bad_reduction", lambda m: m.nn.functional.cross_entropy(_x(m, 3, 4), m.tensor([0, 1, 1]),
                                                                           reduction="avg")),
    ErrorInput("ctc_input_length_too_long",
               lambda m: m.nn.functional.ctc_loss(_x(m, 5, 2, 4).log_softmax(2), m.tensor([[1, 2], [1, 1]]),
                                                  [5, 6], [2, 2])),
    ErrorInput("ctc_target_length_too_long",
               lambda m: m.nn.functional.ctc_loss(_x(m, 5, 2, 4).log_softmax(2), m.tensor([[1, 2], [1, 1]]),
                                                  [5, 4], [2, 3])),
    ErrorInput("ctc_int_input", lambda m: m.nn.functional.ctc_loss(m.ones(5, 2, 4, dtype=m.int64),
                                                                   m.tensor([[1, 2], [1, 1]]), [5, 4], [2, 2])),
]
