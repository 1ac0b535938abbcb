"""DataLoader internals, laid out as torch.utils.data._utils so that imports of its collate helpers port unchanged."""

# How often (seconds) the main process checks its workers' liveness while it waits, and a worker checks its parent's.
MP_STATUS_CHECK_INTERVAL = 0.2

from . import collate, fetch, worker  # noqa: E402,F401  (import paths as in torch)
