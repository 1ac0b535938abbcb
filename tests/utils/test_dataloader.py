"""DataLoader with and without worker processes: coverage and order, seeding, persistence, and the failure cases
(worker exceptions, killed workers, timeouts, interrupts) with real processes. Every test runs under an alarm, and
no test may leave a worker process behind."""
import gc
import multiprocessing
import os
import random
import signal
import threading
import time
import warnings

import numpy as np
import pytest
import torch.utils.data as tdata

import ember
import ember.utils.data as edata
from ember.utils.data._utils.worker import _numpy_seed

TEST_SECONDS = 20


@pytest.fixture(autouse=True)
def bounded_and_clean():
    """Fail a test that runs past TEST_SECONDS (instead of hanging the suite), and one that leaves children alive."""
    def expire(signum, frame):
        raise TimeoutError(f"test ran past {TEST_SECONDS} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TEST_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    gc.collect()
    leftover = multiprocessing.active_children()
    for p in leftover:
        p.kill()
    assert not leftover, f"worker processes left behind: {leftover}"


class Numbers(edata.Dataset):
    """Sample i is i; optionally slow and jittered so that workers finish out of order."""

    def __init__(self, n, jitter=0.0):
        self.n, self.jitter = n, jitter

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.jitter:
            time.sleep(random.random() * self.jitter)
        return i


class Faulty(edata.Dataset):
    """Sample `bad` raises, kills its worker, or sleeps, depending on mode."""

    def __init__(self, mode, bad=5, n=24):
        self.mode, self.bad, self.n = mode, bad, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            if self.mode == "raise":
                raise ValueError(f"sample {i} is corrupt")
            if self.mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.mode == "sleep":
                time.sleep(5)
        return i


class WhoAmI(edata.Dataset):
    """Each sample reports the process, the worker info and the worker's random streams."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = edata.get_worker_info()
        return {"pid": os.getpid(), "id": -1 if info is None else info.id, "seed": -1 if info is None else info.seed,
                "py": random.random(), "np": float(np.random.rand()), "ember": ember.rand(1).item(),
                "init": getattr(self, "init_id", -1),
                "same_dataset": info is not None and info.dataset is self, "n": 0 if info is None else info.num_workers}


class Range(edata.IterableDataset):
    """0..n-1, split between workers when shard=True (the user's sharding through get_worker_info)."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __len__(self):
        return self.n

    def __iter__(self):
        info = edata.get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def _flat(loader):
    return [int(v) for batch in loader for v in (batch.tolist() if isinstance(batch, ember.Tensor) else [batch])]


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size, drop_last", [(4, False), (5, True), (5, False)])
def test_every_sample_once_per_epoch(workers, shuffle, batch_size, drop_last):
    loader = edata.DataLoader(Numbers(23), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                              num_workers=workers)
    for _ in range(2):
        batches = [b.tolist() for b in loader]
        seen = [i for b in batches for i in b]
        assert all(len(b) == batch_size for b in batches[:-1])
        if drop_last:
            assert len(batches) == 23 // batch_size == len(loader) and len(seen) == len(set(seen))
        else:
            assert sorted(seen) == list(range(23)) and len(batches) == len(loader)
        assert (seen == sorted(seen)) == (not shuffle)


def test_order_with_workers_follows_the_sampler():
    g = ember.Generator().manual_seed(7)
    ember.empty((), dtype=ember.int64).random_(generator=g)  # the workers' base seed comes first, as in torch
    expected = list(edata.BatchSampler(edata.RandomSampler(range(40), generator=g), 3, False))
    loader = edata.DataLoader(Numbers(40, jitter=0.004), batch_size=3, shuffle=True, num_workers=2,
                              generator=ember.Generator().manual_seed(7))
    assert [b.tolist() for b in loader] == expected


def test_shuffle_reproducible_under_a_generator():
    def epoch(workers, seed):
        return _flat(edata.DataLoader(Numbers(30), batch_size=4, shuffle=True, num_workers=workers,
                                      generator=ember.Generator().manual_seed(seed)))
    assert epoch(0, 1) == epoch(2, 1) == epoch(0, 1)
    assert epoch(0, 1) != epoch(0, 2)
    ember.manual_seed(4)
    a = _flat(edata.DataLoader(Numbers(30), batch_size=4, shuffle=True))
    ember.manual_seed(4)
    assert a == _flat(edata.DataLoader(Numbers(30), batch_size=4, shuffle=True))


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=4), dict(batch_size=4, drop_last=True),
                                    dict(batch_size=None), dict(batch_size=30), dict(batch_size=3, shuffle=True)])
def test_len_matches_torch(kwargs):
    assert len(edata.DataLoader(list(range(10)), **kwargs)) == len(tdata.DataLoader(list(range(10)), **kwargs))

    class TorchRange(tdata.IterableDataset):
        def __iter__(self):
            return iter(range(10))

        def __len__(self):
            return 10
    kwargs.pop("shuffle", None)
    assert len(edata.DataLoader(Range(10), **kwargs)) == len(tdata.DataLoader(TorchRange(), **kwargs))


@pytest.mark.parametrize("kwargs", [
    dict(shuffle=True, sampler=[0, 1]), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True), dict(num_workers=-1),
    dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True), dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="nope"), dict(num_workers=1, multiprocessing_context=3),
])
def test_bad_arguments_raise_as_torch(kwargs):
    with pytest.raises(Exception) as expected:
        tdata.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(expected.type) as got:
        edata.DataLoader(list(range(4)), **kwargs)
    assert str(got.value).split(",")[0] == str(expected.value).split(",")[0]


def test_iterable_dataset_options_raise_as_torch():
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
            edata.DataLoader(Range(3), **kwargs)
    loader = edata.DataLoader(Numbers(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 2


def test_sampler_batch_sampler_collate_and_unbatched():
    ds = Numbers(10)
    assert _flat(edata.DataLoader(ds, sampler=[9, 0, 4], batch_size=2)) == [9, 0, 4]
    assert [b.tolist() for b in edata.DataLoader(ds, batch_sampler=[[1, 2], [7]], num_workers=2)] == [[1, 2], [7]]
    assert list(edata.DataLoader(ds, batch_size=3, collate_fn=sum)) == [3, 12, 21, 9]
    unbatched = list(edata.DataLoader(edata.TensorDataset(ember.arange(3)), batch_size=None))
    assert [t[0].item() for t in unbatched] == [0, 1, 2] and unbatched[0][0].shape == ()
    assert list(edata.DataLoader([np.int64(5)], batch_size=None))[0].dtype == ember.int64  # default_convert


def test_nested_batches_equal_with_and_without_workers():
    class Nested(edata.Dataset):
        def __len__(self):
            return 9

        def __getitem__(self, i):
            return {"x": ember.full((2, 3), float(i)), "y": i, "name": f"n{i}", "np": np.arange(i, i + 2),
                    "pair": (i, 0.5 * i)}
    plain = list(edata.DataLoader(Nested(), batch_size=4))
    workers = list(edata.DataLoader(Nested(), batch_size=4, num_workers=2))
    assert len(plain) == len(workers) == 3
    for a, b in zip(plain, workers):
        assert a.keys() == b.keys() and a["name"] == b["name"]
        for k in ("x", "y", "np"):
            assert a[k].dtype == b[k].dtype and ember.equal(a[k], b[k])
        assert all(ember.equal(p, q) for p, q in zip(a["pair"], b["pair"]))


def test_large_tensors_cross_through_shared_memory():
    x = ember.randn(16, 256, 256).to(ember.bfloat16)  # batches of 1 MiB and more
    y = ember.randn(16, 300, 300)[:, ::2]  # non-contiguous samples
    out = list(edata.DataLoader(edata.TensorDataset(x, y), batch_size=8, num_workers=2))
    assert ember.equal(ember.cat([b[0] for b in out]), x) and ember.equal(ember.cat([b[1] for b in out]), y)
    assert out[0][0].dtype == ember.bfloat16
    out[0][1].add_(1)  # the batch is writable memory of this process


@pytest.mark.parametrize("in_order", [True, False])
def test_in_order_flag(in_order):
    seen = _flat(edata.DataLoader(Numbers(30, jitter=0.003), batch_size=2, num_workers=2, in_order=in_order))
    assert sorted(seen) == list(range(30))
    if in_order:
        assert seen == list(range(30))


def test_iterable_dataset_sharded_by_workers():
    assert sorted(_flat(edata.DataLoader(Range(21), batch_size=4, num_workers=2))) == list(range(21))
    unsharded = _flat(edata.DataLoader(Range(6, shard=False), batch_size=4, num_workers=2))
    assert sorted(unsharded) == sorted(list(range(6)) * 2)  # each worker iterates its own copy
    dropped = [b.tolist() for b in edata.DataLoader(Range(10), batch_size=4, num_workers=2, drop_last=True)]
    assert sorted(dropped) == [[0, 2, 4, 6], [1, 3, 5, 7]]
    assert _flat(edata.DataLoader(Range(5), batch_size=2)) == [0, 1, 2, 3, 4]
    assert _flat(edata.DataLoader(Range(3), batch_size=None, num_workers=2)) == [0, 1, 2]  # round-robin


def test_worker_info_seeds_and_worker_init_fn():
    def init(worker_id):
        info = edata.get_worker_info()
        info.dataset.init_id = worker_id
    assert edata.get_worker_info() is None
    g = ember.Generator().manual_seed(11)
    base_seed = int(ember.empty((), dtype=ember.int64).random_(generator=ember.Generator().manual_seed(11)).item())
    rows = [s for batch in edata.DataLoader(WhoAmI(), batch_size=1, num_workers=2, worker_init_fn=init, generator=g)
            for s in [{k: (v[0].item() if isinstance(v, ember.Tensor) else v[0]) for k, v in batch.items()}]]
    assert [r["id"] for r in rows] == [0, 1] * 4  # round-robin in sampler order
    assert all(r["n"] == 2 and r["same_dataset"] and r["init"] == r["id"] for r in rows)
    assert {r["pid"] for r in rows}.isdisjoint({os.getpid()}) and len({r["pid"] for r in rows}) == 2
    for wid in (0, 1):
        first = next(r for r in rows if r["id"] == wid)
        seed = base_seed + wid
        assert first["seed"] == seed
        assert first["py"] == random.Random(seed).random()
        assert first["ember"] == ember.rand(1, generator=ember.Generator().manual_seed(seed)).item()
        from torch.utils.data._utils.worker import _generate_state
        assert _numpy_seed(base_seed, wid) == _generate_state(base_seed, wid)  # torch's numpy seeding
        assert first["np"] == np.random.RandomState(_generate_state(base_seed, wid)).rand()
    # the same seeds give the same streams; other seeds other streams
    again = list(edata.DataLoader(WhoAmI(), batch_size=1, num_workers=2, generator=ember.Generator().manual_seed(11)))
    assert [b["py"].item() for b in again] == [r["py"] for r in rows]
    other = list(edata.DataLoader(WhoAmI(), batch_size=1, num_workers=2, generator=ember.Generator().manual_seed(12)))
    assert [b["py"].item() for b in other] != [r["py"] for r in rows]


def test_persistent_workers_survive_epochs():
    def pids(loader, stop=None):
        out = []
        for i, b in enumerate(loader):
            out.append(b["pid"][0].item())
            if i == stop:
                break
        return set(out)
    loader = edata.DataLoader(WhoAmI(), batch_size=1, num_workers=2, persistent_workers=True)
    first = pids(loader)
    assert len(multiprocessing.active_children()) == 2
    assert pids(loader, stop=2) <= first  # an epoch abandoned early
    assert pids(loader) == first and len(loader._iterator._workers) == 2
    plain = edata.DataLoader(WhoAmI(), batch_size=1, num_workers=2)
    assert pids(plain).isdisjoint(pids(plain))
    del loader
    gc.collect()
    assert not multiprocessing.active_children()
    iterable = edata.DataLoader(Range(7), batch_size=2, num_workers=2, persistent_workers=True)
    assert sorted(_flat(iterable)) == sorted(_flat(iterable)) == list(range(7))


def test_worker_exception_reraised_with_traceback():
    it = iter(edata.DataLoader(Faulty("raise"), batch_size=2, num_workers=2))
    assert next(it).tolist() == [0, 1]
    assert next(it).tolist() == [2, 3]
    with pytest.raises(ValueError) as err:
        next(it)
    msg = str(err.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback (most recent call "
                          "last):\n")
    assert 'raise ValueError(f"sample {i} is corrupt")' in msg and msg.rstrip().endswith("sample 5 is corrupt")
    del err
    assert next(it).tolist() == [6, 7]  # the iterator goes on, as torch's does
    del it


def test_error_in_worker_init_fn_and_key_error():
    def init(worker_id):
        raise RuntimeError(f"no setup for {worker_id}")
    with pytest.raises(RuntimeError, match="(?s)Caught RuntimeError in DataLoader worker process 0.*no setup for 0"):
        list(edata.DataLoader(Numbers(4), num_workers=2, worker_init_fn=init))
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        list(edata.DataLoader([{}] * 2, collate_fn=lambda b: b[0]["missing"], num_workers=2))


def test_killed_worker_raises_within_seconds():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        for _ in edata.DataLoader(Faulty("kill"), batch_size=2, num_workers=2):
            pass
    assert time.monotonic() - start < 5
    assert not multiprocessing.active_children()  # the surviving worker is stopped at once


def test_timeout_fires():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        for _ in edata.DataLoader(Faulty("sleep", bad=0), batch_size=2, num_workers=2, timeout=0.5):
            pass
    assert time.monotonic() - start < 4
    assert not multiprocessing.active_children()


def test_workers_stop_on_exhaustion_and_on_del():
    it = iter(edata.DataLoader(Numbers(10), batch_size=2, num_workers=2))
    workers = list(it._workers)
    assert len(multiprocessing.active_children()) == 2
    list(it)
    assert not any(w.is_alive() for w in workers)
    it = iter(edata.DataLoader(Numbers(100), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it
    gc.collect()
    assert not any(w.is_alive() for w in workers)
    for i, _ in enumerate(edata.DataLoader(Numbers(100), batch_size=2, num_workers=2)):
        if i == 3:
            break  # the abandoned iterator is collected with the loop


def test_keyboard_interrupt_stops_workers():
    loader = edata.DataLoader(Numbers(40, jitter=0.2), batch_size=4, num_workers=2)
    interrupter = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    interrupter.start()
    with pytest.raises(KeyboardInterrupt) as err:
        for _ in loader:
            pass
    interrupter.join()
    assert not multiprocessing.active_children()  # stopped at once, while the traceback still holds the iterator
    del err


def test_spawn_context():
    ds = edata.TensorDataset(ember.arange(10), ember.arange(10) * 2)
    batches = list(edata.DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="spawn"))
    assert [b[1].tolist() for b in batches] == [[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]]


def test_pin_memory_accepted():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = list(edata.DataLoader(Numbers(4), batch_size=2, pin_memory=True))
    assert [b.tolist() for b in out] == [[0, 1], [2, 3]]
    if not ember.cuda.is_available():
        assert any("pin_memory" in str(w.message) for w in caught)
