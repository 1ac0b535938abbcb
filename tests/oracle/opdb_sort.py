"""OpInfo rows: sorting and selection (sort, topk, kthvalue, median, mode, quantile), unique, bincount, histc, diff."""
from tests.oracle.core import ALL, FLOATS, INTS, NUMERIC, ErrorInput, OpInfo, T

# (shape, dim): negative dims, 0-d, empty, a single element
ALONG = [((5,), 0), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((), 0), ((0, 3), 1), ((3, 0), 1), ((1,), -1)]
NONEMPTY = [s for s in ALONG if s[0] not in ((3, 0),)]
PICK = [s for s in ALONG if 0 not in s[0]]
NAN = lambda m, x: m.log(x)  # noqa: E731  (NaN where x < 0)
# integer inputs repeat values, and which of equal elements torch's selection (not sort) picks is unspecified:
# for them the rows compare values only
VALUES = lambda r, x: r if x.is_floating_point() else r.values  # noqa: E731
NAN_DTYPES = ("float32", "float16", "bfloat16")
FEW = [(T((12,), low=0, high=4),), (T((3, 6), low=0, high=3),)]

OPS = [
    OpInfo("sort", lambda m, x, d: (m.sort(x, d), x.sort(d, descending=True)), ALONG, dtypes=ALL),
    OpInfo("sort_stable", lambda m, x: (m.sort(x, stable=True), m.sort(x, dim=0, descending=True, stable=True)),
           FEW, dtypes=ALL, covers=("sort",)),
    OpInfo("sort_nan", lambda m, x: (m.sort(NAN(m, x), 1), m.sort(NAN(m, x), 0, True)), [((3, 4),)], order=0,
           covers=("sort",)),
    OpInfo("argsort", lambda m, x, d: (m.argsort(x, d), x.argsort(d, True), m.msort(x)), ALONG, dtypes=ALL,
           covers=("sort",)),
    OpInfo("argsort_ties", lambda m, x: (m.argsort(x, stable=True), x.argsort(dim=0, descending=True, stable=True)),
           FEW,
           dtypes=ALL, covers=("sort",)),
    OpInfo("topk", lambda m, x, k, d: (m.topk(x, k, d), x.topk(k, d, largest=False)),
           [((5,), 2, 0), ((3, 4), 3, -1), ((3, 4), 1, 0), ((2, 3, 4), 0, 1), ((), 1, 0), ((3, 4), 4, 1)],
           covers=("sort",)),
    OpInfo("topk_values", lambda m, x: (m.topk(x, 3).values, m.topk(x, 2, 0, False).values), FEW[1:],
           dtypes=NUMERIC, covers=("topk",), order=0),
    OpInfo("kthvalue", lambda m, x, d: (m.kthvalue(x, 1, d), x.kthvalue(x.shape[d] if x.ndim else 1, d, True)),
           PICK),
    OpInfo("kthvalue_values", lambda m, x: VALUES(m.kthvalue(x, 2, 0), x), FEW[1:], dtypes=NUMERIC,
           covers=("kthvalue",)),
    OpInfo("median", lambda m, x, d: (m.median(x, d), x.median(d, keepdim=True)), PICK),
    OpInfo("median_values", lambda m, x: (VALUES(m.median(x, 1), x), x.median()), FEW[1:], dtypes=NUMERIC,
           covers=("median",)),
    OpInfo("median_all", lambda m, x: m.median(x), [((5,),), ((3, 4),), ((),), ((0,),)], dtypes=NUMERIC),
    OpInfo("median_ties", lambda m, x: x.expand(2, 5).median(), [((5,),)], covers=("median_all",)),
    # NaN results: gradients compared with torch's, no float64 gradcheck (finite differences of NaN are NaN)
    OpInfo("median_nan", lambda m, x: (m.median(NAN(m, x), 1), m.median(NAN(m, x))), [((3, 4),), ((4, 5),)],
           dtypes=NAN_DTYPES, covers=("median", "median_all")),
    OpInfo("nanmedian", lambda m, x, d: (m.nanmedian(x, d), x.nanmedian(d, True)), PICK),
    OpInfo("nanmedian_all", lambda m, x: m.nanmedian(x), [((5,),), ((3, 4),), ((),), ((0,),)], dtypes=NUMERIC),
    OpInfo("nanmedian_nan", lambda m, x: (m.nanmedian(NAN(m, x), 1), m.nanmedian(NAN(m, x))),
           [((3, 4),), ((4, 7),)], dtypes=NAN_DTYPES, covers=("nanmedian", "nanmedian_all")),
    # all NaN: torch's index is unspecified (its nth_element), so values only
    OpInfo("nanmedian_all_nan", lambda m, x: (m.nanmedian(NAN(m, x), 1).values, m.nanmedian(NAN(m, x))),
           [(T((3, 4), low=-2, high=-1),)], dtypes=NAN_DTYPES, order=0, covers=("nanmedian", "nanmedian_all")),
    OpInfo("mode", lambda m, x, d: (m.mode(x, d), x.mode(d, True)), PICK, dtypes=ALL),
    OpInfo("mode_ties", lambda m, x: (m.mode(x), x.mode(0)), FEW[1:], dtypes=NUMERIC, covers=("mode",)),
    OpInfo("quantile", lambda m, x, q, d, k: m.quantile(x, q, d, k),
           [((7,), 0.3, None, False), ((3, 4), 0.5, 1, False), ((3, 4), 0.25, -2, True), ((2, 3, 4), 1.0, None, True),
            ((), 0.5, None, False), ((3, 5), T((3,), low=0, high=1, grad=False), 1, False),
            ((3, 5), T((4,), low=0, high=1, grad=False), None, True)], dtypes=FLOATS, covers=("sort",)),
    OpInfo("quantile_interpolation", lambda m, x, mode: (m.quantile(x, 0.4, 1, interpolation=mode),
                                                         x.quantile(0.5, 0, True, interpolation=mode)),
           [((3, 4), mode) for mode in ("linear", "lower", "higher", "midpoint", "nearest")], dtypes=("float64",),
           covers=("sort",)),
    OpInfo("nanquantile", lambda m, x, q, d: (m.nanquantile(NAN(m, x), q, d), m.quantile(NAN(m, x), q, d)),
           [((3, 4), 0.5, 1), ((2, 6), 0.3, None), ((4, 5), T((2,), low=0, high=1, grad=False), 1)], dtypes=NAN_DTYPES,
           covers=("sort",)),
    OpInfo("unique", lambda m, x: (m.unique(x), x.unique(return_inverse=True), x.unique(True, True, True),
                                   m.unique(x, return_counts=True)), FEW + [((3, 0),)], dtypes=ALL, order=0),
    OpInfo("unique_dim", lambda m, x: (m.unique(x, dim=0, return_inverse=True, return_counts=True),
                                       x.unique(dim=1)), [(T((6, 2), low=0, high=2),)], dtypes=INTS + ("bool",),
           order=0),
    OpInfo("unique_consecutive", lambda m, x: (m.unique_consecutive(x, return_inverse=True, return_counts=True),
                                               x.unique_consecutive()), FEW + [((0,),)], dtypes=ALL, order=0),
    OpInfo("unique_consecutive_dim", lambda m, x: m.unique_consecutive(x, True, True, dim=0),
           [(T((6, 2), low=0, high=2),)], dtypes=INTS, order=0),
    OpInfo("bincount", lambda m, x, w: (m.bincount(x), x.bincount(w), m.bincount(x, minlength=10)),
           [(T((12,), "int64", 0, 6), T((12,), "float32")), (T((12,), "uint8", 0, 3), T((12,), "float64")),
            (T((0,), "int64"), T((0,), "float32")), (T((5,), "int32", 0, 4), T((5,), "int64"))], order=0),
    OpInfo("histc", lambda m, x: (m.histc(x, 4), x.histc(5, -1, 1), m.histc(x, bins=3, min=3, max=4)),
           [((20,),), ((3, 4),), ((0,),), ((),)], dtypes=("float32", "float64") + INTS, order=0),
    OpInfo("diff", lambda m, x, n, d: m.diff(x, n, d), [((5,), 1, 0), ((3, 4), 2, -1), ((3, 4), 1, 0),
                                                       ((3, 4), 5, 1), ((2, 3, 4), 0, 1), ((0, 3), 1, 0)],
           dtypes=ALL, order=2),
    OpInfo("diff_pend", lambda m, x, a, b: (m.diff(x, prepend=a), x.diff(2, 0, a.t(), b.t()), m.diff(x, append=b)),
           [((3, 4), (3, 2), (3, 1))], dtypes=ALL, covers=("cat",)),
]

ERRORS = [
    ErrorInput("sort_dim_out_of_range", lambda m: m.ones(3).sort(1)),
    ErrorInput("topk_k_too_large", lambda m: m.ones(3).topk(4)),
    ErrorInput("kthvalue_k_out_of_range", lambda m: m.ones(3).kthvalue(0)),
    ErrorInput("median_empty_dim", lambda m: m.ones(3, 0).median(1)),
    ErrorInput("mode_dim_out_of_range", lambda m: m.ones(3).mode(1)),
    ErrorInput("quantile_q_range", lambda m: m.ones(3).quantile(1.5)),
    ErrorInput("quantile_int", lambda m: m.arange(3).quantile(0.5)),
    ErrorInput("quantile_q_dtype", lambda m: m.ones(3).quantile(m.tensor([0.5], dtype=m.float64))),
    ErrorInput("quantile_empty", lambda m: m.ones(0).quantile(0.5)),
    ErrorInput("quantile_interpolation", lambda m: m.ones(3).quantile(0.5, interpolation="cubic")),
    ErrorInput("bincount_negative", lambda m: m.tensor([1, -1]).bincount()),
    ErrorInput("bincount_2d", lambda m: m.ones(2, 2, dtype=m.int64).bincount()),
    ErrorInput("bincount_float", lambda m: m.ones(2).bincount()),
    ErrorInput("histc_min_max", lambda m: m.ones(3).histc(3, 2, 1)),
    ErrorInput("histc_int", lambda m: m.arange(3).histc()),
    ErrorInput("diff_0d", lambda m: m.tensor(1.0).diff()),
    ErrorInput("diff_prepend_ndim", lambda m: m.ones(3).diff(prepend=m.ones(1, 1))),
    ErrorInput("unique_dim_out_of_range", lambda m: m.ones(3).unique(dim=1)),
]
