"""OpInfo rows: fused activation ops (ember/ops/nn_act.py: softmax, log_softmax, gelu) and their error parity.
The composed activations are tested as layers in tests/nn/test_activation.py."""
from tests.oracle.core import FLOATS, ErrorInput, OpInfo, T

SM = [((3, 4),), ((),), ((2, 0, 3),), ((2, 3, 4),)]

OPS = [
    OpInfo("softmax", lambda m, x: [m.softmax(x, -1), x.softmax(0), m.nn.functional.softmax(x, dim=0)], SM,
           dtypes=FLOATS, order=2),
    OpInfo("log_softmax", lambda m, x: [m.log_softmax(x, -1), x.log_softmax(0),
                                        m.nn.functional.log_softmax(x, dim=-1)], SM, dtypes=FLOATS, order=2),
    OpInfo("softmax_dtype", lambda m, x: [m.softmax(x, 1, dtype=m.float64), m.log_softmax(x, 1, m.float32),
                                          m.nn.functional.softmax(x, 0, dtype=m.float64)],
           [(T((3, 4), dtype="int64"),), ((3, 4),)], dtypes=("float32",), order=1,
           covers=("softmax", "log_softmax")),
    OpInfo("softmax_large", lambda m, x: [m.softmax(x * 200, -1), m.log_softmax(x * 200, -1)], [((3, 5),)],
           dtypes=("float32", "float64"), covers=("softmax", "log_softmax")),
    OpInfo("gelu", lambda m, x: m.nn.functional.gelu(x), [((3, 4),), ((),), ((0, 2),)], dtypes=FLOATS, order=2,
           domain=(-4, 4), covers=("gelu_backward",)),
    OpInfo("gelu_tanh", lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), [((3, 4),), ((),)],
           dtypes=FLOATS, order=2, domain=(-4, 4), covers=("gelu", "gelu_backward")),
]

ERRORS = [
    ErrorInput("softmax_int", lambda m: m.softmax(m.ones(3, dtype=m.int64), 0)),
    ErrorInput("log_softmax_bad_dim", lambda m: m.log_softmax(m.ones(3, 4), 2)),
    ErrorInput("gelu_int", lambda m: m.nn.functional.gelu(m.ones(3, dtype=m.int64))),
    ErrorInput("gelu_bad_approximate", lambda m: m.nn.functional.gelu(m.ones(3), approximate="erf")),
]
