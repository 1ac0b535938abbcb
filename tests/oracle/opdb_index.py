"""OpInfo rows: Python indexing (index.py) and the gather/scatter family (gather.py)."""
from tests.oracle.core import ALL, NUMERIC, ErrorInput, OpInfo, T

F32 = ("float32", "float64")


def _idx(m, rows):
    return m.tensor(rows, dtype=m.int64)


def _mask(m, x):
    return x > 0 if x.dtype is not m.bool else x


# ---------------------------------------------------------------------------------------------------------------
# __setitem__ in every key form: y = x * 1 keeps x a leaf, so gradients reach x and v through CopySlices/index_put


def _set_basic(m, x, v):
    y = x * 1
    y[1:, 0] = v
    return y


def _set_int(m, x, v):
    y = x * 1
    y[-1] = v
    return y


def _set_step(m, x, v):
    y = x * 1
    y[::2, 1::2] = v
    return y


def _set_none_ellipsis(m, x, v):
    y = x * 1
    y[..., None, 1] = v
    return y


def _set_number(m, x):
    y = x * 1
    y[0, 1:3] = 2
    y[1] = 0.5 if y.is_floating_point() else 7
    return y


def _set_mask(m, x, v):
    y = x * 1
    y[_mask(m, x)] = v
    return y


def _set_mask_number(m, x):
    y = x * 1
    y[_mask(m, x)] = 3
    return y


def _set_tensor_index(m, x, v):
    y = x * 1
    y[_idx(m, [2, 0])] = v
    return y


def _set_list(m, x, v):
    y = x * 1
    y[[0, 2], 1:3] = v
    return y


def _set_mixed(m, x, v):
    y = x * 1
    y[_idx(m, [[0], [2]]), _idx(m, [1, 3])] = v
    return y


def _set_twice(m, x, v):
    y = x * 1
    y[:, 0] += v
    y[1] *= 2
    return y


def _index_put(m, x, v):
    return (x.index_put((_idx(m, [0, 2]), _idx(m, [1, 1])), v),
            m.index_put(x, (_idx(m, [0, 0, 1]),), v[:1].expand(3, x.shape[1]), accumulate=True))


def _index_put_(m, x, v):
    y = x * 1
    y.index_put_((_idx(m, [1, 2]),), v, accumulate=True)
    return y


def _inplace(name):
    def f(m, x, *args):
        y = x * 1
        getattr(y, name)(*args)
        return y
    f.__name__ = name
    return f


def _scatter_(m, x, s):
    return _inplace("scatter_")(m, x, 0, _idx(m, [[1, 0, 2, 0], [0, 2, 1, 1]]), s)


def _scatter_add_(m, x, s):
    return _inplace("scatter_add_")(m, x, 1, _idx(m, [[0, 0, 3], [1, 1, 1], [3, 2, 3]]), s)


def _scatter_reduce_(m, x, s):
    return _inplace("scatter_reduce_")(m, x, 0, _idx(m, [[1, 0, 1, 0], [1, 1, 2, 0]]), s, "amax", include_self=False)


def _index_add_(m, x, s):
    return _inplace("index_add_")(m, x, 1, _idx(m, [3, 0, 3]), s, alpha=-1.5)


def _index_copy_(m, x, s):
    return _inplace("index_copy_")(m, x, 0, _idx(m, [2, 0]), s)


def _index_fill_(m, x, v):
    return _inplace("index_fill_")(m, x, 1, _idx(m, [1, 3]), v)


def _masked_fill_(m, x, v):
    return _inplace("masked_fill_")(m, x, _mask(m, x), v)


def _masked_scatter_(m, x, s):
    return _inplace("masked_scatter_")(m, x, _mask(m, x), s)


def _put_(m, x, s):
    return _inplace("put_")(m, x, _idx(m, [0, -1, 5]), s)


# index rows are fixed lists, so that scatter writes have no duplicate targets (torch leaves their order open)
GATHER_IDX = [[0, 2, 1, 2], [1, 0, 0, 2]]

OPS = [
    # ------------------------------------------------------------------ __getitem__
    OpInfo("index_basic", lambda m, x: (x[1], x[-1], x[1:], x[:, 1], x[-2:, :-1], x[::2, 1::3], x[None], x[..., 1],
                                        x[1, ..., None], x[None, :, None, 2], x[...], x[5:], x[1, 2]),
           [((3, 4),)], dtypes=ALL, order=2),
    OpInfo("index_basic_3d", lambda m, x: (x[0, 1], x[:, None, 1:, ...], x[..., ::2], x[-1, :, -1], x[1:1]),
           [((2, 3, 4),), ((2, 0, 4),)], dtypes=F32, covers=("index_basic",)),
    OpInfo("index_basic_0d", lambda m, x: (x[None], x[...], x[()], x[None, ..., None]), [((),)], dtypes=F32,
           covers=("index_basic",)),
    OpInfo("index_tensor_int", lambda m, x: (x[m.tensor(1)], x[m.tensor([1, 1]), 2:3], x[1:m.tensor(3)]),
           [((3, 4),)], dtypes=F32, covers=("index_basic", "index_advanced")),
    OpInfo("index_advanced", lambda m, x: (x[_idx(m, [0, 2, 0])], x[[1, 0]], x[:, [3, 0, 3]], x[[0, 2], 1:],
                                           x[_idx(m, [[0, 1], [2, 2]]), _idx(m, [3, 0])], x[1, [0, 2]],
                                           x[[0, -1], None], x[..., [1, 1]], x[_idx(m, [])]),
           [((3, 4),)], dtypes=ALL, order=2),
    OpInfo("index_advanced_separated", lambda m, x: (x[[0, 1], :, [2, 0]], x[:, [1], [0, 3]], x[[1], 1:, [[0], [3]]]),
           [((2, 3, 4),)], dtypes=F32, covers=("index_advanced",)),
    OpInfo("index_bool_mask", lambda m, x: (x[_mask(m, x)], x[_mask(m, x)[0]], x[:, _mask(m, x)[1]],
                                            x[m.tensor(True)], x[False]), [((3, 4),)], dtypes=ALL,
           covers=("index_advanced",)),
    OpInfo("index_index_tensor_dtypes", lambda m, x, i: (x[i], x[:, i]), [((3, 4), T((2, 3), "int32", 0, 3)),
                                                                          ((3, 4), T((2,), "uint8", 0, 2))],
           dtypes=F32, covers=("index_advanced",)),
    # ------------------------------------------------------------------ __setitem__ and index_put
    OpInfo("setitem_basic", _set_basic, [((3, 4), (2,)), ((3, 4), ()), ((3, 4), (1,))], dtypes=ALL, order=2,
           covers=("index_basic", "copy")),
    OpInfo("setitem_forms", lambda m, x, v: (_set_int(m, x, v), _set_step(m, x, v[:1])), [((3, 4), (4,))],
           dtypes=ALL, covers=("index_basic", "copy")),
    OpInfo("setitem_none_ellipsis", _set_none_ellipsis, [((3, 4), (3, 1)), ((2, 3, 4), (2, 1, 3))], dtypes=F32,
           covers=("index_basic", "copy")),
    OpInfo("setitem_number", _set_number, [((3, 4),)], dtypes=ALL, covers=("index_basic", "fill", "copy")),
    OpInfo("index_put_key", _set_tensor_index, [((3, 4), (2, 4)), ((3, 4), (4,)), ((3, 4), ())], dtypes=ALL,
           order=2),
    OpInfo("setitem_mask", _set_mask, [((3, 4), ())], dtypes=ALL, covers=("index_put_key",)),
    OpInfo("setitem_mask_number", _set_mask_number, [((3, 4),)], dtypes=ALL, covers=("index_put_key",)),
    OpInfo("setitem_list_mixed", lambda m, x, v: (_set_list(m, x, v), _set_mixed(m, x, v)), [((3, 4), (2,))],
           dtypes=F32, covers=("index_put_key",)),
    OpInfo("setitem_augmented", _set_twice, [((3, 4), (3,))], dtypes=F32, order=2,
           covers=("index_basic", "copy", "add", "mul")),
    OpInfo("index_put", _index_put, [((3, 4), (4,))], dtypes=NUMERIC, covers=("index_put_key",)),
    OpInfo("index_put_", _index_put_, [((3, 4), (2, 4)), ((3, 4), (4,))], dtypes=NUMERIC, covers=("index_put_key",)),
    # ------------------------------------------------------------------ gather.py
    OpInfo("index_select", lambda m, x, i: (x.index_select(0, i), m.index_select(x, -1, i), x.index_select(1, i[0])),
           [((3, 4), T((3,), "int64", 0, 3)), ((3, 4), T((0,), "int64")), ((3, 4), T((2,), "int32", 0, 3))],
           dtypes=ALL, order=2, covers=("index_add",)),
    OpInfo("index_select_0d", lambda m, x: (x.index_select(0, m.tensor([0])), x.index_select(0, m.tensor(0))),
           [((),), ((3,),)], dtypes=F32, covers=("index_select",)),
    OpInfo("gather", lambda m, x: (x.gather(0, _idx(m, GATHER_IDX)), m.gather(x, 1, _idx(m, [[3, 3], [0, 1]])),
                                   m.gather(x, -1, _idx(m, [[1], [2], [0]]))),
           [((3, 4),)], dtypes=ALL, order=2, covers=("scatter_reduce",)),
    OpInfo("gather_index_tensor", lambda m, x, i: m.gather(x, 1, i), [((3, 4), T((3, 5), "int64", 0, 4)),
                                                                      ((3, 4), T((2, 0), "int64"))],
           dtypes=F32, covers=("gather",)),
    OpInfo("gather_0d", lambda m, x: (x.gather(0, m.tensor(0)), x.gather(0, m.tensor([0, 0]))), [((),)], dtypes=F32,
           covers=("gather",)),
    OpInfo("take_along_dim", lambda m, x: (m.take_along_dim(x, _idx(m, [[0], [2], [1]]), 1),
                                           m.take_along_dim(x, _idx(m, [[1, 0, 2, 0]]), dim=0),
                                           m.take_along_dim(x, _idx(m, [[0, 11], [5, 5]])),
                                           x.take_along_dim(_idx(m, [[1], [0]]).unsqueeze(0), 2)),
           [((3, 4),)], dtypes=NUMERIC, covers=("gather", "expand")),
    OpInfo("scatter", lambda m, x, s: (x.scatter(0, _idx(m, [[1, 0, 2, 0], [0, 2, 1, 1]]), s),
                                       m.scatter(x, 1, _idx(m, [[2], [0]]), s[:, :1]),
                                       m.scatter(x, -1, _idx(m, [[1, 0]]), value=2)),
           [((3, 4), (2, 4))], dtypes=ALL, order=2, covers=("gather",)),
    # src larger than index: torch allows it forward, but its backward raises (see ERRORS)
    OpInfo("scatter_src_larger", lambda m, x, s: (x.scatter(0, _idx(m, [[2, 0]]), s),
                                                  x.scatter_add(1, _idx(m, [[1]]), s),
                                                  x.scatter_reduce(0, _idx(m, [[1], [1]]), s, "mean")),
           [((3, 4), (4, 4))], dtypes=F32, order=0, covers=("scatter", "scatter_reduce")),
    OpInfo("scatter_value", lambda m, x: (x.scatter(0, _idx(m, [[1, 0, 2]]), 1.5),
                                          x.scatter(1, _idx(m, [[0], [3]]), value=-1)),
           [((3, 4),)], dtypes=NUMERIC, covers=("scatter",)),
    OpInfo("scatter_reduce_arg", lambda m, x, s: (x.scatter(0, _idx(m, [[1, 0, 1, 0], [1, 1, 2, 1]]), s, reduce="add"),
                                                  x.scatter(1, _idx(m, [[0, 0], [3, 0]]), s, reduce="multiply"),
                                                  x.scatter(0, _idx(m, [[1, 1]]), 2.0, reduce="multiply")),
           [((3, 4), (2, 4))], dtypes=("float32", "float64", "int32", "int64"), order=0, covers=("scatter",)),
    OpInfo("scatter_", _scatter_, [((3, 4), (2, 4))], dtypes=ALL, order=2, covers=("scatter",)),
    OpInfo("scatter_add", lambda m, x, s: (x.scatter_add(1, _idx(m, [[0, 0, 3], [1, 1, 1], [3, 2, 3]]), s),
                                           m.scatter_add(x, 0, _idx(m, [[0, 0, 2]]), s[:1])),
           [((3, 4), (3, 3))], dtypes=NUMERIC, order=2, covers=("scatter_reduce",)),
    OpInfo("scatter_add_", _scatter_add_, [((3, 4), (3, 3))], dtypes=NUMERIC, covers=("scatter_reduce",)),
    OpInfo("scatter_reduce", lambda m, x, s: tuple(
        m.scatter_reduce(x, 0, _idx(m, [[1, 0, 1, 0], [1, 1, 2, 0]]), s, r, include_self=inc)
        for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)),
        [((3, 4), (2, 4))], dtypes=("float32", "float64", "float16", "bfloat16"), domain=(0.5, 2.0)),
    OpInfo("scatter_reduce_signed", lambda m, x, s: tuple(
        x.scatter_reduce(1, _idx(m, [[0, 0, 3], [1, 1, 1], [3, 2, 3]]), s, r, include_self=inc)
        for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)),
        [((3, 4), (3, 3))], dtypes=NUMERIC, covers=("scatter_reduce",)),
    OpInfo("scatter_reduce_prod_zeros", lambda m, x, s: (
        (x * _idx(m, [[1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 1]])).scatter_reduce(
            0, _idx(m, [[0, 0, 1, 2], [1, 0, 1, 2]]), s * _idx(m, [[1, 1, 1, 0], [0, 1, 1, 0]]), "prod",
            include_self=inc) for inc in (True, False)),
        [((3, 4), (2, 4))], dtypes=F32, covers=("scatter_reduce",)),
    OpInfo("scatter_reduce_ties", lambda m, x, s: (
        x.round().scatter_reduce(0, _idx(m, [[0, 0, 1, 2], [0, 0, 1, 2]]), s.round(), r, include_self=inc)
        for r in ("amax", "amin") for inc in (True, False)),
        [((3, 4), (2, 4))], dtypes=F32, order=0, covers=("scatter_reduce",)),
    OpInfo("scatter_reduce_", _scatter_reduce_, [((3, 4), (2, 4))], dtypes=F32, covers=("scatter_reduce",)),
    OpInfo("index_add", lambda m, x, s: (x.index_add(1, _idx(m, [3, 0, 3]), s),
                                         m.index_add(x, 1, _idx(m, [1, 1, 2]), s, alpha=2)),
           [((3, 4), (3, 3))], dtypes=NUMERIC, order=2),
    OpInfo("index_add_1d", lambda m, x, s: (x.index_add(0, _idx(m, [1]), s), x.index_add(0, _idx(m, [2, 2]), s[:1]
                                                                                           .expand(2))),
           [((3,), (1,))], dtypes=F32, covers=("index_add",)),
    OpInfo("index_0d", lambda m, x, s: (x.index_add(0, _idx(m, [0]), s), x.index_copy(0, _idx(m, [0]), s),
                                        x.index_fill(0, _idx(m, [0]), s), x.index_fill(0, _idx(m, [-1]), 2)),
           [((), ())], dtypes=F32, covers=("index_add", "index_copy", "index_fill")),
    OpInfo("index_add_", _index_add_, [((3, 4), (3, 3))], dtypes=F32, covers=("index_add",)),
    OpInfo("index_copy", lambda m, x, s: (x.index_copy(0, _idx(m, [2, 0]), s), m.index_copy(x, 0, _idx(m, [1]), s[1:])),
           [((3, 4), (2, 4))], dtypes=ALL, order=2),
    OpInfo("index_copy_", _index_copy_, [((3, 4), (2, 4))], dtypes=F32, covers=("index_copy",)),
    # torch's own backward fails for negative indices with a tensor value: those are tested without gradients
    OpInfo("index_fill", lambda m, x, v: (x.index_fill(1, _idx(m, [1, 3]), v), m.index_fill(x, 0, _idx(m, [0]), 2)),
           [((3, 4), ()), ((3, 4), T((), "float64"))], dtypes=F32, order=2),
    OpInfo("index_fill_number", lambda m, x: (x.index_fill(1, _idx(m, [1, -1]), 1), x.index_fill(0, _idx(m, []), 1)),
           [((3, 4),)], dtypes=ALL, covers=("index_fill",)),
    OpInfo("index_fill_", _index_fill_, [((3, 4), ())], dtypes=F32, covers=("index_fill",)),
    OpInfo("masked_fill", lambda m, x, v: (x.masked_fill(_mask(m, x), v), m.masked_fill(x, _mask(m, x)[0], 0.5),
                                           x.masked_fill(_mask(m, x).unsqueeze(0).expand(2, 3, 4), v)),
           [((3, 4), ()), ((3, 4), T((), "float64"))], dtypes=F32, order=2),
    OpInfo("masked_fill_number", lambda m, x: (x.masked_fill(_mask(m, x), 1), x.masked_fill(_mask(m, x), 1.5)),
           [((3, 4),), ((),), ((0, 2),)], dtypes=ALL, covers=("masked_fill",)),
    OpInfo("masked_fill_", _masked_fill_, [((3, 4), ())], dtypes=F32, covers=("masked_fill",)),
    OpInfo("masked_scatter", lambda m, x, s: (x.masked_scatter(_mask(m, x), s), m.masked_scatter(x, _mask(m, x)[1], s)),
           [((3, 4), (3, 5))], dtypes=ALL, order=2),
    OpInfo("masked_scatter_", _masked_scatter_, [((3, 4), (12,))], dtypes=F32, covers=("masked_scatter",)),
    OpInfo("masked_select", lambda m, x: (x.masked_select(_mask(m, x)), m.masked_select(x, _mask(m, x)[0]),
                                          x[0].masked_select(_mask(m, x))), [((3, 4),), ((),)], dtypes=ALL, order=2),
    OpInfo("take", lambda m, x: (x.take(_idx(m, [[0, 11], [-1, 3]])), m.take(x, _idx(m, [5, 5, 0])),
                                 m.take(x, _idx(m, 2))), [((3, 4),)], dtypes=ALL, order=2),
    OpInfo("put", lambda m, x, s: (x.put(_idx(m, [0, -1, 5]), s), m.put(x, _idx(m, [[1], [1], [2]]), s, True)),
           [((3, 4), (3,))], dtypes=NUMERIC, covers=("index_put_key",)),
    OpInfo("put_", _put_, [((3, 4), (3,))], dtypes=F32, covers=("index_put_key", "copy")),
    OpInfo("nonzero", lambda m, x: (m.nonzero(x), x.nonzero(as_tuple=True), m.argwhere(x), x.argwhere()),
           [(T((3, 4), low=-1, high=2),), (T((), low=0, high=2),), (T((0, 3)),)], dtypes=ALL, order=0),
    OpInfo("searchsorted", lambda m, s, v: (m.searchsorted(s.sort().values, v), m.searchsorted(s.sort().values, v,
                                                                                              right=True),
                                            m.searchsorted(s.sort().values, v, side="right", out_int32=True),
                                            m.searchsorted(s, v, sorter=s.argsort())),
           [((5,), (3, 2)), ((5,), ())], dtypes=NUMERIC, order=0),
    OpInfo("searchsorted_batched", lambda m, s, v: m.searchsorted(s.sort().values, v),
           [((2, 5), (2, 3)), ((2, 3, 4), (2, 3, 1))], dtypes=F32, order=0, covers=("searchsorted",)),
    OpInfo("searchsorted_scalar", lambda m, s: (m.searchsorted(s.sort().values, 1), m.bucketize(1, s.sort().values)),
           [((5,),)], dtypes=NUMERIC, order=0, covers=("searchsorted",)),
    OpInfo("bucketize", lambda m, x, b: (m.bucketize(x, b.sort().values), m.bucketize(x, b.sort().values, right=True),
                                         m.bucketize(x, b.sort().values, out_int32=True)),
           [((3, 4), (5,)), ((), (3,))], dtypes=NUMERIC, order=0, covers=("searchsorted",)),
]

ERRORS = [
    ErrorInput("getitem_out_of_range", lambda m: m.zeros(3, 4)[3]),
    ErrorInput("getitem_negative_out_of_range", lambda m: m.zeros(3, 4)[:, -5]),
    ErrorInput("getitem_too_many", lambda m: m.zeros(3, 4)[0, 0, 0]),
    ErrorInput("getitem_tensor_out_of_range", lambda m: m.zeros(3, 4)[m.tensor([0, 3])]),
    ErrorInput("getitem_float_index", lambda m: m.zeros(3, 4)[m.tensor([0.0])]),
    ErrorInput("getitem_negative_step", lambda m: m.zeros(3, 4)[::-1]),
    ErrorInput("getitem_mask_shape", lambda m: m.zeros(3, 4)[m.ones(4, dtype=m.bool)]),
    ErrorInput("getitem_float", lambda m: m.zeros(3, 4)[1.5]),
    ErrorInput("setitem_shape", lambda m: m.zeros(3, 4).__setitem__(0, m.ones(3))),
    ErrorInput("setitem_out_of_range", lambda m: m.zeros(3, 4).__setitem__(m.tensor([3]), 1.0)),
    ErrorInput("setitem_leaf", lambda m: m.zeros(3, requires_grad=True).__setitem__(0, 1.0)),
    ErrorInput("setitem_leaf_view", lambda m: m.zeros(3, 4, requires_grad=True)[0].__setitem__(0, 1.0)),
    ErrorInput("index_select_range", lambda m: m.zeros(3, 4).index_select(0, m.tensor([3]))),
    ErrorInput("index_select_negative", lambda m: m.zeros(3, 4).index_select(0, m.tensor([-1]))),
    ErrorInput("index_select_2d_index", lambda m: m.zeros(3, 4).index_select(0, m.tensor([[0]]))),
    ErrorInput("index_select_float_index", lambda m: m.zeros(3, 4).index_select(0, m.tensor([0.0]))),
    ErrorInput("index_select_dim", lambda m: m.zeros(3, 4).index_select(2, m.tensor([0]))),
    ErrorInput("gather_range", lambda m: m.zeros(3, 4).gather(0, m.tensor([[3]]))),
    ErrorInput("gather_negative", lambda m: m.zeros(3, 4).gather(0, m.tensor([[-1]]))),
    ErrorInput("gather_ndim", lambda m: m.zeros(3, 4).gather(0, m.tensor([0]))),
    ErrorInput("gather_size", lambda m: m.zeros(3, 4).gather(0, m.tensor([[0] * 5]))),
    ErrorInput("scatter_dtype", lambda m: m.zeros(3, 4).scatter(0, m.tensor([[0]]), m.ones(1, 1, dtype=m.float64))),
    ErrorInput("scatter_range", lambda m: m.zeros(3, 4).scatter(0, m.tensor([[3]]), 1.0)),
    ErrorInput("scatter_src_small", lambda m: m.zeros(3, 4).scatter(0, m.tensor([[0, 1]]), m.ones(1, 1))),
    ErrorInput("scatter_reduce_name", lambda m: m.zeros(3, 4).scatter(0, m.tensor([[0]]), m.ones(1, 1), reduce="max")),
    ErrorInput("scatter_reduce_bad", lambda m: m.zeros(3, 4).scatter_reduce(0, m.tensor([[0]]), m.ones(1, 1), "mode")),
    ErrorInput("scatter_backward_src_larger", lambda m: m.zeros(3, 4).scatter(
        0, m.tensor([[0]]), m.ones(3, 4, requires_grad=True)).sum().backward()),
    ErrorInput("scatter_reduce_arg_backward", lambda m: m.zeros(3, 4).scatter(
        0, m.tensor([[0]]), m.ones(1, 1, requires_grad=True), reduce="add").sum().backward()),
    ErrorInput("index_add_dtype", lambda m: m.zeros(3, 4).index_add(0, m.tensor([0]), m.ones(1, 4, dtype=m.float64))),
    ErrorInput("index_add_range", lambda m: m.zeros(3, 4).index_add(0, m.tensor([3]), m.ones(1, 4))),
    ErrorInput("index_add_negative", lambda m: m.zeros(3, 4).index_add(0, m.tensor([-1]), m.ones(1, 4))),
    ErrorInput("index_add_shape", lambda m: m.zeros(3, 4).index_add(0, m.tensor([0]), m.ones(2, 4))),
    ErrorInput("index_copy_range", lambda m: m.zeros(3, 4).index_copy(0, m.tensor([3]), m.ones(1, 4))),
    ErrorInput("index_copy_negative", lambda m: m.zeros(3, 4).index_copy(0, m.tensor([-1]), m.ones(1, 4))),
    ErrorInput("index_fill_range", lambda m: m.zeros(3, 4).index_fill(0, m.tensor([3]), 1.0)),
    ErrorInput("index_fill_1d_value", lambda m: m.zeros(3, 4).index_fill(0, m.tensor([0]), m.ones(1))),
    ErrorInput("masked_fill_uint8_mask", lambda m: m.zeros(3).masked_fill(m.ones(3, dtype=m.uint8), 1.0)),
    ErrorInput("masked_fill_1d_value", lambda m: m.zeros(3).masked_fill(m.ones(3, dtype=m.bool), m.ones(1))),
    ErrorInput("masked_fill__broadcast", lambda m: m.zeros(3).masked_fill_(m.ones(2, 3, dtype=m.bool), 1.0)),
    ErrorInput("masked_scatter_short", lambda m: m.zeros(3, 4).masked_scatter(m.ones(4, dtype=m.bool), m.ones(2))),
    ErrorInput("masked_select_shape", lambda m: m.zeros(3, 4).masked_select(m.ones(3, dtype=m.bool))),
    ErrorInput("take_range", lambda m: m.zeros(3, 4).take(m.tensor([12]))),
    ErrorInput("take_negative_range", lambda m: m.zeros(3, 4).take(m.tensor([-13]))),
    ErrorInput("put_range", lambda m: m.zeros(3, 4).put(m.tensor([12]), m.ones(1))),
    ErrorInput("take_along_dim_ndim", lambda m: m.take_along_dim(m.zeros(3, 4), m.tensor([0]), 0)),
    ErrorInput("searchsorted_shape", lambda m: m.searchsorted(m.tensor([[1, 2, 3]]), m.tensor([2.5]))),
    ErrorInput("searchsorted_side", lambda m: m.searchsorted(m.tensor([1, 2]), m.tensor([1]), side="middle")),
    ErrorInput("bucketize_2d", lambda m: m.bucketize(m.tensor([1, 2]), m.tensor([[1, 2]]))),
]

UNTESTED = {}
