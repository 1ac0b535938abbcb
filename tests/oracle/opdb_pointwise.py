"""OpInfo rows: pointwise ops."""
from tests.oracle.core import ALL, FLOATS, NUMERIC, ErrorInput, OpInfo, T

B = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((0, 3), (3,)), ((4,), 2.5), ((4,), 3), ((4,), True)]

OPS = [
    OpInfo("add", lambda m, a, b: m.add(a, b), B, dtypes=ALL, order=2),
    OpInfo("add_alpha", lambda m, a, b: m.add(a, b, alpha=2), B[:4], dtypes=NUMERIC, covers=("add",)),
    OpInfo("sub", lambda m, a, b: a - b, B, dtypes=NUMERIC, order=2),
    OpInfo("rsub", lambda m, a: 2 - a, [((3, 4),)], dtypes=NUMERIC, covers=("sub",)),
    OpInfo("mul", lambda m, a, b: a * b, B, dtypes=ALL, order=2),
    OpInfo("true_divide", lambda m, a, b: a / b, [((3, 4), T((3, 4), low=0.5, high=2)), ((3, 1), T((4,), low=0.5)),
                                                    ((4,), 2.5)], dtypes=NUMERIC, order=2),
    OpInfo("neg", lambda m, a: -a, [((3, 4),), ((),)], dtypes=ALL, order=2),
    OpInfo("exp", lambda m, a: m.exp(a), [((3, 4),), ((),), ((0,),)], dtypes=ALL, order=2),
    OpInfo("log", lambda m, a: m.log(a), [((3, 4),), ((),)], dtypes=FLOATS, domain=(0.1, 3), order=2),
    OpInfo("tanh", lambda m, a: a.tanh(), [((3, 4),), ((),)], dtypes=ALL, order=2),
    OpInfo("eq", lambda m, a, b: a == b, B, dtypes=ALL, order=0),
    OpInfo("ne", lambda m, a, b: a != b, B, dtypes=ALL, order=0),
    OpInfo("lt", lambda m, a, b: a < b, B, dtypes=ALL, order=0),
    OpInfo("le", lambda m, a, b: a <= b, B, dtypes=ALL, order=0),
    OpInfo("gt", lambda m, a, b: a > b, B, dtypes=ALL, order=0),
    OpInfo("ge", lambda m, a, b: a >= b, B, dtypes=ALL, order=0),
    OpInfo("isnan", lambda m, a: m.isnan(a / a), [((3, 4),)], dtypes=FLOATS, order=0),
]

ERRORS = [
    ErrorInput("add_shape_mismatch", lambda m: m.ones(3, 4) + m.ones(5)),
    ErrorInput("neg_bool", lambda m: -m.ones(3, dtype=m.bool)),
    ErrorInput("add_inplace_int_float", lambda m: m.ones(3, dtype=m.int64).add_(1.5)),
    ErrorInput("add_inplace_broadcast", lambda m: m.ones(3).add_(m.ones(2, 3))),
]
