"""Every op against torch 2.13.0: values, shapes, dtypes, gradients, gradcheck, errors (rows in tests/oracle)."""
import pytest

from ember.ops import REGISTRY
from tests.oracle.core import check_error, check_gradcheck, check_sample
from tests.oracle.opdb import ERRORS, OPDB, UNTESTED

CASES = [(info, dt) for info in OPDB for dt in info.dtypes]


@pytest.mark.parametrize("info,dtype", CASES, ids=[f"{i.name}-{d}" for i, d in CASES])
def test_matches_torch(info, dtype):
    for k, sample in enumerate(info.samples):
        check_sample(info, sample, dtype, seed=k)
    if info.noncontig and dtype in ("float32", "int64"):
        for k, sample in enumerate(info.samples):
            check_sample(info, sample, dtype, seed=100 + k, noncontig=True)


GRAD = [i for i in OPDB if i.order >= 1 and "float64" in i.dtypes]


@pytest.mark.parametrize("info", GRAD, ids=str)
def test_gradcheck(info):
    check_gradcheck(info)


@pytest.mark.parametrize("err", ERRORS, ids=str)
def test_error_parity(err):
    check_error(err)


def test_every_op_has_an_entry():
    covered = {i.name for i in OPDB} | {c for i in OPDB for c in i.covers} | set(UNTESTED)
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"registered ops without an OpInfo row: {missing}"
