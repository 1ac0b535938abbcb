"""Products and matrix structure: matmul and its family, einsum, tensordot, kron, cross, tril/triu, diagonals.

Decompositions, solvers and norms (``ember.linalg``) live in decomp.py.
"""
from __future__ import annotations

import string

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._registry import KEEP, export, op
from ._util import LOW, wrap_dim
from .creation import to_dtype, zeros


_CNAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
           "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def dtype_name(a) -> str:
    """torch's C++ name of an array's dtype (Float, Double, Long, ...), as its messages print it."""
    return _CNAMES[np.dtype(a.dtype).name]


def same_dtype(what: str, a, b) -> None:
    """torch's matmul family does not promote: mixed dtypes raise."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"{what}: expected both inputs to have the same dtype, but got {dtype_name(a)} and "
                           f"{dtype_name(b)}")


def no_bool(what: str, a) -> None:
    if a.dtype == bool:
        raise NotImplementedError(f'"{what}" not implemented for \'Bool\'')


def const(arr, like: Tensor) -> Tensor:
    """A constant tensor (no history) on like's device, for masks and identities inside derivatives."""
    return Tensor._make(arr, like._device)


def _matmul_arrays(a, b, xp):
    """a @ b; float16/bfloat16 multiply in float32 and round (NumPy has no BLAS for them)."""
    if a.dtype in LOW:
        return xp.matmul(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
    return xp.matmul(a, b)


def _check_matmul(a, b) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {dtype_name(a)} != {dtype_name(b)}")
    no_bool("addmm_impl_cpu_", a)
    k, kb = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k == kb:
        if a.ndim > 2 and b.ndim > 2:
            try:
                np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            except ValueError:
                raise RuntimeError(_batch_message(a.shape[:-2], b.shape[:-2])) from None
        return
    if a.ndim == 1 and b.ndim == 1:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{k}] and src [{kb}] to have the same number of "
                           f"elements, but got {k} and {kb} elements respectively")
    if b.ndim == 1:
        raise RuntimeError(f"size mismatch, got input ({a.shape[-2]}), mat ({a.shape[-2]}x{k}), vec ({kb})")
    rows = 1 if a.ndim == 1 else int(np.prod(a.shape[:-1])) if b.ndim == 2 else a.shape[-2]
    raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {b.shape[-2]}x{b.shape[-1]})")


def _batch_message(a, b) -> str:
    n = max(len(a), len(b))
    for i in range(1, n + 1):
        x, y = (a[-i] if i <= len(a) else 1), (b[-i] if i <= len(b) else 1)
        if x != y and x != 1 and y != 1:
            return (f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension "
                    f"{n - i}")
    return "batch dimensions do not broadcast"


@op(dtype=KEEP)
def matmul(input, other, *, xp):
    """Matrix product with torch's rules for every rank (torch.matmul): 1-D x 1-D is a dot product, a 1-D operand
    gets a dim that is removed afterwards, batch dims broadcast. No type promotion: mixed dtypes raise."""
    _check_matmul(input, other)
    return _matmul_arrays(input, other, xp)


@matmul.derivative
def _(grad, input, other, needs):
    a, b = input, other
    if a.ndim == 1 and b.ndim == 1:
        return (grad * b if needs[0] else None), (grad * a if needs[1] else None)
    if a.ndim == 1:  # (k) @ (..., k, m) -> (..., m)
        ga = matmul(grad.unsqueeze(-2), b.mT).squeeze(-2) if needs[0] else None
        gb = matmul(a.unsqueeze(-1), grad.unsqueeze(-2)) if needs[1] else None
        return ga, gb
    if b.ndim == 1:  # (..., n, k) @ (k) -> (..., n)
        ga = matmul(grad.unsqueeze(-1), b.unsqueeze(-2)) if needs[0] else None
        gb = matmul(a.mT, grad.unsqueeze(-1)).squeeze(-1) if needs[1] else None
        return ga, gb
    return (matmul(grad, b.mT) if needs[0] else None), (matmul(a.mT, grad) if needs[1] else None)


@export
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices, no broadcasting (torch.mm)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


@export
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched product of (b, n, k) and (b, k, m), no broadcasting (torch.bmm)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, _, k = input.shape
    if tuple(mat2.shape[:2]) != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: "
                           f"[{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2)


@export
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product (torch.mv)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


@export
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Dot product of two 1-D tensors of one dtype (torch.dot)."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.dtype is not tensor.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {dtype_name(input._data)} and "
                           f"{dtype_name(tensor._data)}")
    no_bool("dot", input._data)
    return matmul(input, tensor)


export(dot, name="vdot")  # no complex dtypes: vdot is dot


@export
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dims; a 0-d operand multiplies (torch.inner)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


@export
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors, with type promotion (torch.outer)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return input.unsqueeze(1) * vec2


export(outer, name="ger")


def _scaled(t, s):
    return t if s == 1 else t * s


def _add_product(input, prod, beta, alpha):
    """beta * input + alpha * prod; beta=0 ignores input's values (NaN included), as in torch."""
    if beta == 0:
        return _scaled(prod, alpha)
    return _scaled(input, beta) + _scaled(prod, alpha)


def _same_as(what, input, other):
    if isinstance(input, Tensor) and input.dtype is not other.dtype:
        raise RuntimeError(f"self and {what} must have the same dtype, but got {dtype_name(input._data)} and "
                           f"{dtype_name(other._data)}")


@export
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2) (torch.addmm)."""
    _same_as("mat2", input, mat2)
    return _add_product(input, mm(mat1, mat2), beta, alpha)


@export
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec) (torch.addmv)."""
    _same_as("vec", input, vec)
    return _add_product(input, mv(mat, vec), beta, alpha)


@export
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2) (torch.baddbmm)."""
    _same_as("batch2", input, batch2)
    return _add_product(input, bmm(batch1, batch2), beta, alpha)


@export
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (sum over the batch of batch1 @ batch2) (torch.addbmm)."""
    _same_as("batch2", input, batch2)
    return _add_product(input, bmm(batch1, batch2).sum(0), beta, alpha)


@export
def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Sum of products over dims of a and b: the last/first `dims` dims, or two lists of dims (torch.tensordot)."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    da = [wrap_dim(d, a.ndim) for d in da]
    db = [wrap_dim(d, b.ndim) for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} and "
                               f"second has size {b.shape[y]} in dim {y}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    sa, sb = [a.shape[d] for d in fa], [b.shape[d] for d in fb]
    left = a.permute(*fa, *da).reshape(int(np.prod(sa)), k)
    right = b.permute(*db, *fb).reshape(k, int(np.prod(sb)))
    res = matmul(left, right).reshape(*sa, *sb)
    if out is not None:
        out.copy_(res)
        return out
    return res


@export
def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product, with type promotion (torch.kron)."""
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    a = input.reshape(*[s for x in sa for s in (x, 1)])
    b = other.reshape(*[s for x in sb for s in (1, x)])
    return (a * b).reshape(*[x * y for x, y in zip(sa, sb)])


# ---------------------------------------------------------------------------------------------------------------
# einsum


def _einsum_parse(equation: str, ndims: list) -> tuple:
    """(subscripts per operand, output subscripts) with '...' spelled out as letters the equation does not use."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ndims):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation" if len(ndims) >
                           len(ins) else "einsum(): fewer operands were provided than specified in the equation")
    free = [c for c in string.ascii_letters if c not in eq]
    n_ell = max([nd - len(s) + 3 for s, nd in zip(ins, ndims) if "..." in s] + [0])
    ell = "".join(free[:n_ell])
    subs = []
    for i, (s, nd) in enumerate(zip(ins, ndims)):
        if "..." in s:
            s = s.replace("...", ell[n_ell - (nd - len(s) + 3):] if nd - len(s) + 3 else "")
        if len(s) != nd or not s.isalpha() and s:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                               f"number of dimensions ({nd}) for operand {i} and no ellipsis was given")
        subs.append(s)
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if c not in lhs and c not in ell:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
    else:
        joined = "".join(ins)
        out = ell + "".join(sorted(c for c in set(joined) if c.isalpha() and joined.count(c) == 1))
    return subs, out


def _einsum_sizes(subs, shapes) -> dict:
    """Letter -> size, checking repeated and shared letters as torch does (size 1 broadcasts)."""
    size = {}
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        mine = {}
        for c, n in zip(s, shape):
            if c in mine and mine[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't match, "
                                   f"{n} != {mine[c]}")
            mine[c] = n
        for c, n in mine.items():
            have = size.get(c, 1)
            if n != 1 and have != 1 and n != have:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                   f"with previously seen size {have}")
            size[c] = max(have, n) if n != 1 else have
    return size


@op(dtype=KEEP, method=False, export=False, name="einsum")
def _einsum(tensors, equation: str, *, xp):
    subs, out = _einsum_parse(equation, [t.ndim for t in tensors])
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"expected scalar type {dtype_name(tensors[0])} but found {dtype_name(t)}")
    if tensors:
        no_bool("bmm", tensors[0])
    _einsum_sizes(subs, [t.shape for t in tensors])
    dt = tensors[0].dtype
    arrays = [t.astype(np.float32) for t in tensors] if dt in LOW else tensors
    r = xp.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 2)
    return xp.asarray(r).astype(dt, copy=False)


@_einsum.derivative
def _(grad, tensors, equation, needs):
    subs, out = _einsum_parse(equation, [t.ndim for t in tensors])
    spare = iter(c for c in string.ascii_letters if c not in "".join(subs) + out)
    grads = []
    for k, (s, t) in enumerate(zip(subs, tensors)):
        if not needs[k]:
            grads.append(None)
            continue
        # d out / d operand k: contract grad with the other operands onto k's subscripts. A repeated letter becomes
        # fresh letters tied by identity matrices; a letter no other term carries (at its size) gets a ones vector.
        terms = [(out, grad)] + [(subs[j], tensors[j]) for j in range(len(tensors)) if j != k]
        target = ""
        for c, n in zip(s, t.shape):
            if c in target:
                fresh = next(spare)
                terms.append((c + fresh, const(np.eye(n, dtype=grad._data.dtype), grad)))
                c = fresh
            elif not any(c in sj and tj.shape[sj.index(c)] == n for sj, tj in terms):
                terms.append((c, const(np.ones(n, dtype=grad._data.dtype), grad)))
            target += c
        grads.append(_einsum([tj for _, tj in terms], ",".join(sj for sj, _ in terms) + "->" + target))
    return tuple(grads)


@export(method=False)
def einsum(*args) -> Tensor:
    """Einstein summation (torch.einsum): einsum("ij,jk->ik", a, b), einsum("ij,jk", [a, b]) or the sublist form
    einsum(a, [0, 1], b, [1, 2], [0, 2])."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, or at least one "
                        "operand and its subscripts list")
    if isinstance(args[0], str):
        ops = args[1:]
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = ops[0]
        return _einsum(list(ops), args[0])
    letters = string.ascii_letters

    def sub(lst):
        return "".join("..." if x is Ellipsis else letters[x] for x in lst)
    n = len(args) // 2
    eq = ",".join(sub(s) for s in args[1:2 * n:2])
    if len(args) % 2:
        eq += "->" + sub(args[-1])
    return _einsum(list(args[0:2 * n:2]), eq)


# ---------------------------------------------------------------------------------------------------------------
# cross, triangles and diagonals


@op(dtype=KEEP)
def cross(input, other, dim: int | None = None, *, xp):
    """Cross product of 3-vectors along dim, broadcasting (torch.cross); dim=None takes the first dim of size 3."""
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {dtype_name(input)} but found {dtype_name(other)}")
    no_bool("cross", input)
    shape = np.broadcast_shapes(input.shape, other.shape)
    if dim is None:
        d = next((i for i, n in enumerate(shape) if n == 3), None)
        if d is None:
            raise RuntimeError("no dimension of size 3 in input")
    else:
        d = wrap_dim(dim, len(shape))
        if input.shape[d] != 3 or other.shape[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                               f"{other.shape[d]}")
    a, b = xp.broadcast_to(input, shape), xp.broadcast_to(other, shape)
    return xp.cross(a, b, axisa=d, axisb=d, axisc=d)


@cross.derivative
def _(grad, input, other, dim, needs):
    shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    d = next(i for i, n in enumerate(shape) if n == 3) if dim is None else dim
    return (cross(other, grad, d) if needs[0] else None), (cross(grad, input, d) if needs[1] else None)


def _triangle(name, fn, input, diagonal):
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return fn(input, diagonal)


@op(dtype=KEEP, inplace=True)
def tril(input, diagonal: int = 0, *, xp):
    """The lower triangle of the last two dims, the rest zeroed (torch.tril)."""
    return _triangle("tril", xp.tril, input, diagonal)


@tril.derivative
def _(grad, diagonal):
    return (tril(grad, diagonal),)


@op(dtype=KEEP, inplace=True)
def triu(input, diagonal: int = 0, *, xp):
    """The upper triangle of the last two dims, the rest zeroed (torch.triu)."""
    return _triangle("triu", xp.triu, input, diagonal)


@triu.derivative
def _(grad, diagonal):
    return (triu(grad, diagonal),)


@export
def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix; integers sum to int64 (torch.trace)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    no_bool("trace", input._data)
    return input.diagonal().sum()


@op(dtype=KEEP)
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1, *, xp):
    """A tensor whose (dim1, dim2) diagonals at offset hold input's last dim, zeros elsewhere (torch.diag_embed)."""
    nd = input.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1]
    m = n + abs(offset)
    out = xp.zeros(input.shape[:-1] + (m, m), dtype=input.dtype)
    i = xp.arange(n)
    out[..., i + max(-offset, 0), i + max(offset, 0)] = input
    return xp.moveaxis(out, (-2, -1), (d1, d2))


@diag_embed.derivative
def _(grad, offset, dim1, dim2):
    return (grad.diagonal(offset, dim1, dim2),)


@export
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D: a square matrix with input on a diagonal; 2-D: a copy of one diagonal (torch.diag)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return input.diagonal(diagonal).clone()


@export
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with the flattened input on a diagonal (torch.diagflat)."""
    return diag_embed(input.reshape(-1), offset)


@export(method=False)
def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix from 0-, 1- or 2-D tensors, with type promotion (torch.block_diag)."""
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        mats.append(t.reshape(1, -1) if t.ndim < 2 else t)
    dt = mats[0].dtype if mats else D.get_default_dtype()
    for t in mats[1:]:
        dt = D.promote_types(dt, t.dtype)
    rows = sum(t.shape[0] for t in mats) if mats else 1
    out = zeros(rows, sum(t.shape[1] for t in mats), dtype=dt, device=mats[0].device if mats else None)
    r = c = 0
    for t in mats:
        h, w = t.shape
        out[r:r + h, c:c + w] = t if t.dtype is dt else to_dtype(t, dt)
        r, c = r + h, c + w
    return out


# ---------------------------------------------------------------------------------------------------------------
# chains of products


@export(method=False)
def chain_matmul(*matrices) -> Tensor:
    """Product of 2-D matrices left to right (torch.chain_matmul, deprecated there in favour of linalg.multi_dot)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = matrices[0]
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)


def multi_dot(tensors, *, out=None) -> Tensor:
    """Product of matrices; the first and last may be 1-D (torch.linalg.multi_dot)."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{tensors[0].dtype} and tensor {i} {t.dtype}")
        if 0 < i < n - 1 and t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
        if i in (0, n - 1) and t.ndim not in (1, 2):
            raise RuntimeError(f"multi_dot(): {'first' if i == 0 else 'last'} tensor must be 1D or 2D but got "
                               f"{t.ndim}D")
    res = tensors[0]
    for t in tensors[1:]:
        res = matmul(res, t)
    if out is not None:
        out.copy_(res)
        return out
    return res


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """A multiplied by itself n times; n < 0 inverts first, n = 0 gives identities (torch.linalg.matrix_power)."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2] if A.ndim > 1 else A.shape[0]} by {A.shape[-1]} matrices")
    if n == 0:
        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype), A.shape).copy()
        res = A * 0 + const(eye, A)  # an identity that still belongs to A's graph (zero gradient), as in torch
    else:
        if n < 0:
            from .decomp import linalg_inv
            A, n = linalg_inv(A), -n
        res, base = None, A
        while n:  # square-and-multiply
            if n & 1:
                res = base if res is None else matmul(res, base)
            n >>= 1
            if n:
                base = matmul(base, base)
    if out is not None:
        out.copy_(res)
        return out
    return res


export(matrix_power, name="matrix_power")
