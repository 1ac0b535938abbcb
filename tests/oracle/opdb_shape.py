"""OpInfo rows: views and shape ops (shape.py), copies and casts (creation.py), joining and splitting (join.py)."""
from tests.oracle.core import ALL, INTS, NUMERIC, ErrorInput, OpInfo, T

F32 = ("float32", "float64")


def _copy(m, x, s):
    y = x * 1
    y.copy_(s)
    return y


def _copy_cast(m, x, s):
    y = x * 1
    y.copy_(s.double())
    return y


def _fill(m, x, v):
    y = x * 1
    y.fill_(v)
    return y


def _fill_number(m, x):
    y = x * 1
    y.fill_(2.5 if y.is_floating_point() else 3)
    return y


def _zero(m, x):
    y = x * 1
    return y.zero_()


OPS = [
    # ------------------------------------------------------------------ views
    OpInfo("view", lambda m, x: x.view(-1, 2), [((3, 4),), ((2, 2, 3),), ((0, 4),)], dtypes=ALL, order=2),
    OpInfo("view_sizes", lambda m, x: (x.view(12), x.view(3, 2, 2), x.view((2, 6)), x.view_as(x.view(6, 2))),
           [((3, 4),)], dtypes=F32, covers=("view",)),
    OpInfo("view_0d", lambda m, x: (x.view(1), x.view(-1), x.view(1, 1).view(())), [((),)], dtypes=F32,
           covers=("view",)),
    OpInfo("view_dtype", lambda m, x: x.view(m.int16), [((3, 4),), ((),)], dtypes=ALL, order=0),
    OpInfo("view_dtype_same_size", lambda m, x: x.view(m.int32).view(m.float32), [((3, 4),), ((),)],
           dtypes=("float32",), order=0, covers=("view_dtype",)),
    OpInfo("reshape", lambda m, x: (x.reshape(2, -1), x.reshape(-1), x.reshape_as(x.reshape(6, 2))), [((3, 4),)],
           dtypes=ALL, order=2),
    OpInfo("reshape_empty_0d", lambda m, x: x.reshape(-1, 1), [((0, 3),), ((),)], dtypes=F32, covers=("reshape",)),
    OpInfo("expand", lambda m, x: (x.expand(2, 3, 4), x.expand(-1, 4)), [((3, 1),)], dtypes=ALL, order=2),
    OpInfo("expand_as", lambda m, x, y: (x.expand_as(y), m.broadcast_to(x, (2, 3, 4))), [((3, 1), T((2, 3, 4)))],
           dtypes=F32, covers=("expand",)),
    OpInfo("expand_0d", lambda m, x: x.expand(2, 3), [((),), ((1,),)], dtypes=F32, covers=("expand",)),
    OpInfo("transpose", lambda m, x: (x.transpose(0, 1), x.transpose(-1, 0), m.swapaxes(x, 1, 2),
                                      m.swapdims(x, 0, 2)), [((2, 3, 4),)], dtypes=ALL, order=2),
    OpInfo("permute", lambda m, x: (x.permute(2, 0, 1), x.permute((1, 0, 2)), m.permute(x, (-1, 1, 0))),
           [((2, 3, 4),), ((0, 2, 1),)], dtypes=ALL, order=2),
    OpInfo("t_T_mT", lambda m, x: (x.t(), x.T, x.mT, m.t(x)), [((3, 4),)], dtypes=F32, covers=("transpose",)),
    OpInfo("t_1d", lambda m, x: (x.t(), x.T), [((4,),), ((),)], dtypes=F32, covers=("view", "permute")),
    OpInfo("T_3d", lambda m, x: (x.T, x.mT), [((2, 3, 4),)], dtypes=F32, covers=("permute", "transpose")),
    OpInfo("squeeze", lambda m, x: (x.squeeze(), x.squeeze(1), x.squeeze((0, 2)), x.squeeze(-1), m.squeeze(x, 3)),
           [((1, 3, 1, 2),), ((1,),), ((),), ((0, 1),)], dtypes=ALL, order=2),
    OpInfo("unsqueeze", lambda m, x: (x.unsqueeze(0), x.unsqueeze(-1), m.unsqueeze(x, 1)), [((3, 4),), ((),)],
           dtypes=ALL, order=2),
    OpInfo("flatten", lambda m, x: (x.flatten(), x.flatten(1), m.flatten(x, 0, 1), x.flatten(-2, -1)),
           [((2, 3, 4),), ((2, 0, 3),)], dtypes=F32, covers=("reshape",)),
    OpInfo("flatten_0d", lambda m, x: x.flatten(), [((),)], dtypes=F32, covers=("reshape",)),
    OpInfo("unflatten", lambda m, x: (x.unflatten(1, (2, 2)), m.unflatten(x, -1, (2, -1))), [((3, 4),)],
           dtypes=F32, covers=("reshape",)),
    OpInfo("narrow", lambda m, x: (x.narrow(0, 1, 2), m.narrow(x, 1, -3, 2), x.narrow(1, 4, 0)), [((3, 4),)],
           dtypes=ALL, order=2),
    OpInfo("select", lambda m, x: (x.select(0, 1), m.select(x, 1, -1), x.select(-1, 0)), [((3, 4),), ((2, 3, 4),)],
           dtypes=ALL, order=2),
    OpInfo("diagonal", lambda m, x: (x.diagonal(), m.diagonal(x, 1), x.diagonal(-1), x.diagonal(0, -1, 0)),
           [((3, 4),), ((4, 4),), ((2, 3, 3),)], dtypes=ALL, order=2),
    OpInfo("movedim", lambda m, x: (x.movedim(0, -1), m.movedim(x, (0, 1), (2, 0)), m.moveaxis(x, -1, 0)),
           [((2, 3, 4),)], dtypes=F32, covers=("permute",)),
    OpInfo("unbind", lambda m, x: (x.unbind(), m.unbind(x, 1), list(x)), [((3, 4),), ((0, 2),)], dtypes=F32,
           covers=("select",)),
    OpInfo("split", lambda m, x: (x.split(2), m.split(x, [1, 3], 1), x.split(5), x.split((4, 0), -1)), [((5, 4),)],
           dtypes=F32, covers=("narrow",)),
    OpInfo("split_empty", lambda m, x: (x.split(2), x.split(0)), [((0, 3),)], dtypes=F32, covers=("narrow",)),
    OpInfo("chunk", lambda m, x: (x.chunk(2), m.chunk(x, 3, 1), x.chunk(6)), [((5, 4),)], dtypes=F32,
           covers=("narrow",)),
    OpInfo("contiguous", lambda m, x: (x.contiguous(), x.contiguous().is_contiguous()), [((3, 4),)], dtypes=F32,
           covers=("clone",)),
    OpInfo("clone", lambda m, x: (x.clone(), m.clone(x)), [((3, 4),), ((),), ((0, 2),)], dtypes=ALL, order=2),
    OpInfo("copy_", _copy, [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3), ())], dtypes=ALL, covers=("copy",)),
    OpInfo("copy_cast", _copy_cast, [((3, 4), (3, 4))], dtypes=NUMERIC, covers=("copy",)),
    OpInfo("fill_", _fill, [((3, 4), T(())), ((0,), T(()))], dtypes=ALL, covers=("fill",)),
    OpInfo("fill_number", _fill_number, [((3, 4),), ((),)], dtypes=ALL, covers=("fill",)),
    OpInfo("zero_", _zero, [((3, 4),)], dtypes=ALL, covers=("fill",)),
    OpInfo("to_dtype", lambda m, x: (x.to(m.float64), x.to(dtype=m.int32), x.double(), x.to(x.dtype), x.long()),
           [((3, 4),), ((),)], dtypes=ALL),
    # casts to float32 and below are too coarse for gradcheck (no float64 row). Low-precision results are compared by
    # value only: ember's autograd.grad does not round a float32 grad_output to a float16 output's dtype, torch does
    OpInfo("to_dtype_float32", lambda m, x: (x.to(m.float32), x.float(), x.bool()), [((3, 4),)],
           dtypes=("float32", "float16", "bfloat16", "bool") + INTS, covers=("to_dtype",)),
    OpInfo("to_dtype_low", lambda m, x: (x.half(), x.to(m.bfloat16), x.to(m.int8)), [((3, 4),)], dtypes=ALL,
           order=0, covers=("to_dtype",)),
    # ------------------------------------------------------------------ join.py
    OpInfo("cat", lambda m, a, b: (m.cat([a, b]), m.cat((a, b, a), dim=-1), m.concat([a, b], 1),
                                   m.concatenate([b, a], 0)), [((2, 3), (2, 3)), ((0, 3), (2, 3))],
           dtypes=ALL, order=2),
    OpInfo("cat_promote", lambda m, a, b: m.cat([a, b.double(), b.int()]), [((2, 3), (1, 3))], dtypes=ALL,
           covers=("cat",)),
    OpInfo("cat_skip_empty_1d", lambda m, a, b: (m.cat([a, b]), m.cat([b, a, b], 1)), [((2, 3), (0,))],
           dtypes=F32, covers=("cat",)),
    OpInfo("cat_single", lambda m, a: m.cat([a]), [((2, 3),), ((0,),)], dtypes=F32, covers=("cat",)),
    OpInfo("stack", lambda m, a, b: (m.stack([a, b]), m.stack((a, b), 1), m.stack([a, b], dim=-1)),
           [((2, 3), (2, 3)), ((), ()), ((0, 2), (0, 2))], dtypes=ALL, order=2, covers=("cat", "unsqueeze")),
    OpInfo("hstack_vstack_dstack", lambda m, a, b: (m.hstack([a, b]), m.vstack([a, b]), m.row_stack([a, b]),
                                                    m.dstack([a, b]), m.column_stack([a, b])),
           [((3,), (3,)), ((2, 3), (2, 3)), ((), ())], dtypes=F32, covers=("cat",)),
    OpInfo("column_stack_mixed", lambda m, a, b: m.column_stack([a, b]), [((3,), (3, 2))], dtypes=F32,
           covers=("cat",)),
    OpInfo("atleast", lambda m, a, b: (m.atleast_1d(a), m.atleast_2d(a), m.atleast_3d(a), m.atleast_1d(a, b),
                                       m.atleast_3d([a, b])), [((), (3,)), ((3,), (2, 3)), ((2, 3), (2, 3, 4))],
           dtypes=F32, covers=("reshape", "unsqueeze")),
    OpInfo("repeat", lambda m, x: (x.repeat(2, 3), x.repeat(2, 1, 2), x.repeat((1, 0))), [((2, 3),), ((3,),)],
           dtypes=ALL, order=2),
    OpInfo("repeat_0d", lambda m, x: (x.repeat(3), x.repeat(())), [((),)], dtypes=F32, covers=("repeat",)),
    OpInfo("tile", lambda m, x: (m.tile(x, (2,)), x.tile((2, 1, 2)), m.tile(x, ())), [((2, 3),)], dtypes=F32,
           covers=("repeat",)),
    OpInfo("repeat_interleave", lambda m, x: (x.repeat_interleave(2), m.repeat_interleave(x, 2, dim=1),
                                              m.repeat_interleave(x, m.tensor([1, 0, 2]), dim=0),
                                              x.repeat_interleave(m.tensor([2]), dim=-1, output_size=8)),
           [((3, 4),)], dtypes=NUMERIC, covers=("index_select",)),
    OpInfo("repeat_interleave_counts", lambda m, c: m.repeat_interleave(c),
           [(T((4,), "int64", 0, 3),), (T((0,), "int64"),)], dtypes=("int64",), order=0, covers=("index_select",)),
    OpInfo("flip", lambda m, x: (x.flip(0), m.flip(x, (0, 1)), x.flip(-1), m.flip(x, [])), [((3, 4),), ((2, 0),)],
           dtypes=ALL, order=2),
    OpInfo("flip_0d", lambda m, x: (x.flip(0), x.flip(())), [((),)], dtypes=F32, covers=("flip",)),
    OpInfo("fliplr_flipud", lambda m, x: (m.fliplr(x), m.flipud(x)), [((3, 4),), ((2, 3, 2),)], dtypes=F32,
           covers=("flip",)),
    OpInfo("roll", lambda m, x: (m.roll(x, 1), m.roll(x, -1, 0), m.roll(x, (1, 5), (0, 1)), x.roll(2, dims=-1)),
           [((3, 4),)], dtypes=ALL, order=2),
    OpInfo("roll_edge", lambda m, x: (m.roll(x, 2), m.roll(x, 1, 0)), [((0, 3),), ((5,),)], dtypes=F32,
           covers=("roll",)),
    OpInfo("rot90", lambda m, x: (m.rot90(x), m.rot90(x, 2), m.rot90(x, -1, (1, 2)), x.rot90(3, [0, 2]),
                                  m.rot90(x, 4)), [((2, 3, 4),)], dtypes=F32, covers=("flip", "transpose")),
    OpInfo("tensor_split", lambda m, x: (m.tensor_split(x, 3), x.tensor_split([1, 3], 1), x.tensor_split((2, 1, 7)),
                                         m.tensor_split(x, m.tensor(2), dim=1), x.tensor_split(m.tensor([-1]), 0)),
           [((5, 4),)], dtypes=F32, covers=("index_basic",)),
    OpInfo("hsplit_vsplit_dsplit", lambda m, x: (m.hsplit(x, 2), m.vsplit(x, [1]), m.dsplit(x, 2), x.hsplit([1, 3])),
           [((2, 4, 2),)], dtypes=F32, covers=("index_basic",)),
    OpInfo("hsplit_1d", lambda m, x: m.hsplit(x, 3), [((6,),)], dtypes=F32, covers=("index_basic",)),
    OpInfo("meshgrid", lambda m, a, b, c: (m.meshgrid(a, b, indexing="ij"), m.meshgrid([a, b, c], indexing="xy"),
                                           m.meshgrid(a, indexing="xy"), m.meshgrid(c, a, indexing="xy")),
           [((3,), (2,), ())], dtypes=F32, covers=("expand", "reshape")),
    OpInfo("broadcast_tensors", lambda m, a, b: (m.broadcast_tensors(a, b), m.broadcast_tensors(a),
                                                 m.broadcast_shapes(a.shape, b.shape, (1,), 4)),
           [((3, 1), (4,)), ((), (2, 4))], dtypes=F32, covers=("expand",)),
    OpInfo("unfold", lambda m, x: (x.unfold(1, 2, 1), x.unfold(0, 2, 2), x.unfold(-1, 4, 3), x.unfold(0, 0, 1)),
           [((3, 4),)], dtypes=ALL, order=2, covers=("index_add",)),
    OpInfo("unfold_3d", lambda m, x: x.unfold(1, 3, 2), [((2, 5, 3),)], dtypes=F32, covers=("index_add",)),
]


def _view_write(m):
    x = m.zeros(3, 4)
    x.view(2, 6)[0, 1] = 5
    return x


ERRORS = [
    ErrorInput("view_noncontiguous", lambda m: m.zeros(3, 4).t().view(12)),
    ErrorInput("view_bad_size", lambda m: m.zeros(3, 4).view(5, -1)),
    ErrorInput("view_two_inferred", lambda m: m.zeros(3, 4).view(-1, -1)),
    ErrorInput("view_dtype_0d", lambda m: m.zeros(()).view(m.int16)),
    ErrorInput("view_dtype_odd_last_dim", lambda m: m.zeros(3, dtype=m.uint8).view(m.int16)),
    ErrorInput("reshape_bad_size", lambda m: m.zeros(3, 4).reshape(5, 3)),
    ErrorInput("expand_mismatch", lambda m: m.zeros(3, 2).expand(3, 4)),
    ErrorInput("expand_too_few", lambda m: m.zeros(3, 2).expand(2)),
    ErrorInput("transpose_dim", lambda m: m.zeros(3, 2).transpose(0, 2)),
    ErrorInput("permute_wrong_len", lambda m: m.zeros(3, 2).permute(0)),
    ErrorInput("permute_repeat", lambda m: m.zeros(3, 2).permute(0, 0)),
    ErrorInput("t_3d", lambda m: m.zeros(3, 2, 1).t()),
    ErrorInput("mT_1d", lambda m: m.zeros(3).mT),
    ErrorInput("squeeze_dim", lambda m: m.zeros(3, 1).squeeze(2)),
    ErrorInput("unsqueeze_dim", lambda m: m.zeros(3, 1).unsqueeze(3)),
    ErrorInput("flatten_order", lambda m: m.zeros(3, 1, 2).flatten(2, 1)),
    ErrorInput("narrow_range", lambda m: m.zeros(3, 4).narrow(0, 2, 2)),
    ErrorInput("select_range", lambda m: m.zeros(3, 4).select(1, 4)),
    ErrorInput("split_sizes", lambda m: m.zeros(3, 4).split([1, 1])),
    ErrorInput("chunk_zero", lambda m: m.zeros(3, 4).chunk(0)),
    ErrorInput("movedim_len", lambda m: m.zeros(3, 4).movedim((0, 1), (0,))),
    ErrorInput("write_expanded", lambda m: m.zeros(3, 1).expand(3, 4).add_(1)),
    ErrorInput("fill_1d_value", lambda m: m.zeros(3).fill_(m.ones(2))),
    ErrorInput("copy_bad_shape", lambda m: m.zeros(3).copy_(m.ones(2))),
    ErrorInput("leaf_inplace", lambda m: m.zeros(3, requires_grad=True).fill_(1)),
    ErrorInput("cat_empty", lambda m: m.cat([])),
    ErrorInput("cat_0d", lambda m: m.cat([m.tensor(1.)])),
    ErrorInput("cat_dim", lambda m: m.cat([m.zeros(3, 4)], dim=2)),
    ErrorInput("cat_ndim", lambda m: m.cat([m.zeros(3, 4), m.zeros(3, 4, 1)])),
    ErrorInput("cat_sizes", lambda m: m.cat([m.zeros(3, 4), m.zeros(2, 5)])),
    ErrorInput("cat_not_tensor", lambda m: m.cat([m.zeros(3), 1])),
    ErrorInput("cat_tensor_arg", lambda m: m.cat(m.zeros(3))),
    ErrorInput("stack_sizes", lambda m: m.stack([m.zeros(3, 4), m.zeros(3, 5)])),
    ErrorInput("stack_empty", lambda m: m.stack([])),
    ErrorInput("repeat_too_few", lambda m: m.zeros(3, 4).repeat(2)),
    ErrorInput("repeat_interleave_negative", lambda m: m.zeros(3).repeat_interleave(m.tensor([-1, 2, 1]))),
    ErrorInput("repeat_interleave_size", lambda m: m.zeros(3).repeat_interleave(m.tensor([1, 2]))),
    ErrorInput("repeat_interleave_output_size", lambda m: m.zeros(3).repeat_interleave(2, output_size=5)),
    ErrorInput("flip_repeat_dim", lambda m: m.zeros(3, 4).flip(0, 0)),
    ErrorInput("fliplr_1d", lambda m: m.fliplr(m.zeros(3))),
    ErrorInput("roll_align", lambda m: m.roll(m.zeros(3, 4), (1, 2), (0,))),
    ErrorInput("roll_no_dims_tuple", lambda m: m.roll(m.zeros(3, 4), (1, 2))),
    ErrorInput("rot90_dims", lambda m: m.rot90(m.zeros(3, 4), 1, (0, 0))),
    ErrorInput("rot90_1d", lambda m: m.rot90(m.zeros(3))),
    ErrorInput("tensor_split_0d", lambda m: m.tensor_split(m.tensor(1.), 2)),
    ErrorInput("tensor_split_zero", lambda m: m.tensor_split(m.zeros(3), 0)),
    ErrorInput("hsplit_divisible", lambda m: m.hsplit(m.zeros(3, 5), 2)),
    ErrorInput("vsplit_1d", lambda m: m.vsplit(m.zeros(4), 2)),
    ErrorInput("dsplit_2d", lambda m: m.dsplit(m.zeros(4, 2), 2)),
    ErrorInput("meshgrid_dtype", lambda m: m.meshgrid(m.ones(2), m.ones(3, dtype=m.float64), indexing="ij")),
    ErrorInput("meshgrid_2d", lambda m: m.meshgrid(m.ones(2, 2), indexing="ij")),
    ErrorInput("broadcast_shapes", lambda m: m.broadcast_shapes((2,), (3,))),
    ErrorInput("broadcast_tensors", lambda m: m.broadcast_tensors(m.ones(2), m.ones(3))),
    ErrorInput("unfold_size", lambda m: m.zeros(3, 4).unfold(1, 5, 1)),
    ErrorInput("unfold_step", lambda m: m.zeros(3, 4).unfold(1, 2, 0)),
]

UNTESTED = {}
