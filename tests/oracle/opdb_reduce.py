"""OpInfo rows: reductions (sum, mean, prod, max, var, norm, logsumexp, all, ...) and scans (cumsum, cummax, ...)."""
import ember
from tests.oracle.core import ALL, FLOATS, NUMERIC, ErrorInput, OpInfo

# (shape, dim, keepdim): int, negative and list dims (a tuple would be read as a shape), None and [] for all dims,
# 0-d, empty
DIMS = [((3, 4), 1, False), ((3, 4), -1, True), ((2, 3, 4), [0, 2], False), ((2, 3, 4), [-1, 0], True),
        ((3, 4), None, False), ((3, 4), [], True), ((), 0, False), ((), None, True), ((0, 3), 0, False),
        ((0, 3), 1, True), ((5,), 0, False)]
ONE_DIM = [s for s in DIMS if s[1] is None or isinstance(s[1], int)]     # ops that take one int dim (or none)
INT_DIM = [s for s in DIMS if isinstance(s[1], int)]
NONEMPTY = [s for s in DIMS if 0 not in s[0]]
# var/std: no 0-d input (no degrees of freedom: nan) and no dim=[] (torch's gradient treats it as no reduction)
STAT = [s for s in NONEMPTY if s[0] != () and s[1] != []]
# a tensor with exact zeros at fixed places (row 0: one zero, row 2: two) whose gradient still reaches every entry
# (the detach makes it no function of x for gradcheck: those rows compare gradients with torch in float32 only)
ZEROS = lambda m, x: x - x.detach() * m.tensor([[1, 0, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0]], dtype=x.dtype)  # noqa: E731
NAN = lambda m, x: m.log(x)  # noqa: E731  (NaN where x < 0)
SCAN = [((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((), 0), ((0, 3), 1), ((6,), 0)]

OPS = [
    OpInfo("sum", lambda m, x, d, k: m.sum(x, d, keepdim=k) if d is not None else x.sum(d, k), DIMS, dtypes=ALL,
           order=2),
    OpInfo("sum_dtype", lambda m, x: (x.sum(dtype=m.float64), x.sum(0, dtype=m.int32), x.sum(1, True, dtype=m.half)),
           [((3, 4),)], dtypes=NUMERIC, covers=("sum",), order=0),
    OpInfo("nansum", lambda m, x, d, k: m.nansum(x, d, keepdim=k), NONEMPTY, dtypes=NUMERIC),
    OpInfo("nansum_nan", lambda m, x: m.nansum(NAN(m, x), 1), [((3, 4),)], dtypes=FLOATS, covers=("nansum",)),
    OpInfo("mean", lambda m, x, d, k: m.mean(x, d, keepdim=k) if d is not None else x.mean(), DIMS, dtypes=NUMERIC,
           order=2),
    OpInfo("mean_dtype", lambda m, x: x.mean(0, dtype=m.float64), [((3, 4),)], dtypes=ALL, covers=("mean",)),
    OpInfo("nanmean", lambda m, x, d, k: m.nanmean(NAN(m, x) if x.is_floating_point() else x, d, keepdim=k),
           NONEMPTY, dtypes=NUMERIC),
    OpInfo("prod", lambda m, x, d, k: m.prod(x, d, keepdim=k) if d is not None else x.prod(), ONE_DIM, dtypes=ALL,
           order=2, domain=(0.5, 1.5)),
    OpInfo("prod_zeros", lambda m, x, d: ZEROS(m, x).prod(d) if d is not None else ZEROS(m, x).prod(),
           [((3, 4), 1), ((3, 4), 0), ((3, 4), None)], dtypes=("float32", "bfloat16"), covers=("prod",)),
    OpInfo("max", lambda m, x, d, k: m.max(x, d, keepdim=k), INT_DIM, dtypes=ALL),
    OpInfo("min", lambda m, x, d, k: x.min(d, k), INT_DIM, dtypes=ALL),
    OpInfo("max_all", lambda m, x: (m.max(x), x.min()), [((3, 4),), ((),), ((1, 5),)], dtypes=ALL,
           covers=("amax", "amin")),
    OpInfo("max_dim_ties", lambda m, x: (x.expand(2, 3, 4).max(0), x.expand(2, 3, 4).min(0)), [((3, 4),)], dtypes=ALL,
           covers=("max", "min")),
    OpInfo("amax", lambda m, x, d, k: m.amax(x, d, k) if d is not None else x.amax(), DIMS, dtypes=ALL),
    OpInfo("amin", lambda m, x, d, k: m.amin(x, d, k) if d is not None else x.amin(), DIMS, dtypes=ALL),
    # exact ties (the copies of an expanded input) share the gradient evenly
    OpInfo("amax_ties", lambda m, x: (x.expand(2, 3, 4).amax((0, 2)), x.expand(2, 3, 4).amin(),
                                      m.max(x.expand(3, 3, 4))),
           [((3, 4),)], dtypes=ALL, covers=("amax", "amin")),
    OpInfo("aminmax", lambda m, x: tuple(m.aminmax(x)) + tuple(x.aminmax(dim=-1, keepdim=True)),
           [((3, 4),), ((),)], dtypes=ALL, covers=("amax", "amin")),
    OpInfo("argmax", lambda m, x, d, k: m.argmax(x, d, keepdim=k), ONE_DIM, dtypes=ALL),
    OpInfo("argmin", lambda m, x, d, k: x.argmin(d, k), ONE_DIM, dtypes=ALL),
    OpInfo("var", lambda m, x, d, k: m.var(x, d, keepdim=k), STAT, dtypes=NUMERIC, order=2),
    OpInfo("var_correction", lambda m, x: (x.var(1, correction=0), x.var(False), m.var(x, 0, True, True),
                                           x.var(correction=2)), [((3, 4),)], order=2, covers=("var",)),
    OpInfo("var_empty", lambda m, x: (m.var(x, 0), x.var(1, correction=0), x.var()), [((1, 3),), ((0, 3),)],
           order=0, covers=("var",)),
    OpInfo("std", lambda m, x, d, k: m.std(x, d, keepdim=k), STAT, dtypes=NUMERIC, order=2),
    OpInfo("std_correction", lambda m, x: (x.std(1, correction=0), x.std(False), m.std(x, 0, False, True)),
           [((3, 4),)], order=2, covers=("std",)),
    OpInfo("var_mean", lambda m, x, d: m.var_mean(x, d) + m.std_mean(x, d, correction=0, keepdim=True),
           [((3, 4), 1), ((2, 3, 4), [0, 2]), ((3, 4), None)], order=2, covers=("var", "std", "mean")),
    OpInfo("norm", lambda m, x, d, k: m.norm(x, dim=d, keepdim=k) if d is not None else x.norm(), STAT, order=2),
    OpInfo("norm_p", lambda m, x, p, d: (x.norm(p, d), m.norm(x, p, d, True)),
           [((3, 4), p, d) for p in (1, 2, 3, 1.5, float("inf"), -float("inf"), 0, "fro") for d in (1, None)]
           + [((2, 3, 4), 3, [0, 2])], order=2, covers=("norm",)),
    OpInfo("norm_zero", lambda m, x: (x * 0).norm() + (x * 0).norm(3), [((3,),)], covers=("norm",)),
    OpInfo("logsumexp", lambda m, x, d, k: m.logsumexp(x, d, keepdim=k), [s for s in DIMS if s[1] is not None],
           dtypes=ALL,
           order=2),
    OpInfo("logsumexp_inf", lambda m, x: m.logsumexp(m.log(x * 0), 1), [((2, 3),)], covers=("logsumexp",),
           order=0),
    OpInfo("all", lambda m, x, d, k: m.all(x, d, keepdim=k) if d is not None else x.all(), DIMS, dtypes=ALL),
    OpInfo("any", lambda m, x, d, k: m.any(x, d, keepdim=k) if d is not None else x.any(), DIMS, dtypes=ALL),
    OpInfo("all_sparse", lambda m, x: (m.all(x > 1, 1), m.any(x > 1.5, 0), (x > 1.9).any()), [((4, 3),)],
           covers=("all", "any"), order=0),
    OpInfo("count_nonzero", lambda m, x, d: m.count_nonzero(x, d),
           [((3, 4), None), ((3, 4), 1), ((2, 3, 4), [0, -1]), ((0, 3), 0), ((), None)], dtypes=ALL),
    OpInfo("cumsum", lambda m, x, d: m.cumsum(x, d), SCAN, dtypes=ALL, order=2),
    OpInfo("cumsum_dtype", lambda m, x: (x.cumsum(1, dtype=m.float64), x.cumsum(0, dtype=m.int32)), [((3, 4),)],
           dtypes=NUMERIC, covers=("cumsum",), order=0),
    OpInfo("cumprod", lambda m, x, d: x.cumprod(d), SCAN, dtypes=ALL, order=2, domain=(0.5, 1.5)),
    OpInfo("cumprod_zeros", lambda m, x, d: ZEROS(m, x).cumprod(d), [((3, 4), 1), ((3, 4), 0)], dtypes=("float32",),
           covers=("cumprod",)),
    OpInfo("cummax", lambda m, x, d: m.cummax(x, d), SCAN, dtypes=ALL),
    OpInfo("cummin", lambda m, x, d: x.cummin(d), SCAN, dtypes=ALL),
    OpInfo("cummax_nan", lambda m, x: (m.cummax(NAN(m, x), 1), m.cummin(NAN(m, x), 0)), [((3, 4),)], order=0,
           covers=("cummax", "cummin")),
    OpInfo("logcumsumexp", lambda m, x, d: m.logcumsumexp(x, d), SCAN, dtypes=NUMERIC, order=2),
]
if hasattr(ember, "maximum"):  # the elementwise form is pointwise's maximum/minimum, written elsewhere
    OPS.append(OpInfo("max_binary", lambda m, a, b: (m.max(a, b), m.min(a, b)), [((3, 4), (3, 4)), ((3, 1), (4,))],
                      dtypes=NUMERIC, order=0))

ERRORS = [
    ErrorInput("sum_dim_out_of_range", lambda m: m.ones(2, 3).sum(2)),
    ErrorInput("sum_dim_repeated", lambda m: m.ones(2, 3).sum((1, -1))),
    ErrorInput("mean_int", lambda m: m.arange(4).mean()),
    ErrorInput("nanmean_int", lambda m: m.arange(4).nanmean()),
    ErrorInput("max_empty", lambda m: m.ones(0).max()),
    ErrorInput("max_empty_dim", lambda m: m.ones(3, 0).max(1)),
    ErrorInput("max_dim_out_of_range", lambda m: m.ones(3).max(1)),
    ErrorInput("amax_empty_dim", lambda m: m.ones(3, 0).amax(1)),
    ErrorInput("amin_empty", lambda m: m.ones(0, 2).amin()),
    ErrorInput("argmax_empty", lambda m: m.ones(0).argmax()),
    ErrorInput("argmax_bool", lambda m: m.ones(3, dtype=m.bool).argmax()),
    ErrorInput("std_int", lambda m: m.arange(4).std()),
    ErrorInput("var_dim_out_of_range", lambda m: m.ones(2, 3).var(-3)),
    ErrorInput("norm_int", lambda m: m.arange(4).norm()),
    ErrorInput("norm_inf_empty", lambda m: m.ones(0).norm(float("inf"))),
    ErrorInput("logsumexp_empty_dim", lambda m: m.logsumexp(m.ones(3), ())),
    ErrorInput("cumsum_dim_out_of_range", lambda m: m.ones(2, 3).cumsum(2)),
    ErrorInput("cummax_dim_out_of_range", lambda m: m.ones(2, 3).cummax(-3)),
    ErrorInput("logcumsumexp_int", lambda m: m.arange(3).logcumsumexp(0)),
    ErrorInput("all_dim_out_of_range", lambda m: m.ones(2).all(1)),
]
