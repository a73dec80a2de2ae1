"""Parallel work: one helper behind every ``client=`` argument of qindex.

Everything that can spread over processes (a batch of reports, uncertainty chunks, a panel assessed or an
index built in partitions) takes ``client``: ``None`` runs the same tasks one after another in this process,
a ``distributed.Client`` runs them on its cluster. :func:`executor` gives either one face (``submit``,
``gather``), :func:`map_tasks` maps a function over items with it, and :func:`client` starts a
local cluster (or connects to one) for a ``with`` block. :func:`one_blas_thread` keeps numerical loops that
already run in parallel chunks from starting BLAS threads of their own.

Example
-------
>>> map_tasks(None, pow, [1, 2, 3], 2)
[1, 4, 9]
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator

from threadpoolctl import threadpool_limits

from qindex.errors import ClusterError

#: Seconds to reach a scheduler, handshake included.
CONNECT_TIMEOUT = 30.0


def _connect(scheduler: str, timeout: float):
    """A client of the scheduler at ``scheduler``, or a :class:`ClusterError` within ``timeout`` seconds."""
    from distributed import Client

    done: dict = {}

    def connect() -> None:
        try:
            done["client"] = Client(scheduler, timeout=f"{timeout}s")
        except BaseException as exc:  # reported below, in the caller's thread
            done["error"] = exc

    thread = threading.Thread(target=connect, name="qindex-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    hint = (
        "start it with `dask scheduler` and its workers with `dask worker ADDRESS`, or run without "
        "--scheduler for a local cluster"
    )
    if thread.is_alive():
        raise ClusterError(
            f"the Dask scheduler at {scheduler} did not answer within {timeout:.0f} s (something listens "
            f"there but does not speak Dask); {hint}"
        )
    error = done.get("error")
    if error is not None:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {scheduler} ({type(error).__name__}: {error}); {hint}"
        ) from None
    return done["client"]


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS and OpenMP limited to one thread inside the block, restored after it.

    The replication loops of the uncertainty and sensitivity analyses run many small matrix products; a BLAS
    library that splits each of them over every core makes its threads fight each other and the chunks or
    workers that already run side by side (a 2-core machine spent 2.5× the CPU time for the same work). The
    limit holds whatever ``OPENBLAS_NUM_THREADS`` says.
    """
    with threadpool_limits(limits=1):
        yield


class Here:
    """Runs a task at once in this process: the same code path as a Dask client without a cluster."""

    def submit(self, fn, *args, **kwargs):
        kwargs.pop("pure", None)
        return fn(*args, **kwargs)

    def gather(self, values):
        return values


def executor(client=None):
    """``client`` itself, or a :class:`Here` that runs each task at once when ``client`` is ``None``."""
    return client if client is not None else Here()


def map_tasks(client, fn: Callable, items: list, *args) -> list:
    """``[fn(item, *args) for item in items]``, as one task per item on ``client``'s cluster when given."""
    if client is None:
        return [fn(item, *args) for item in items]
    return client.gather([client.submit(fn, item, *args, pure=False) for item in items])


@contextlib.contextmanager
def client(
    workers: int | None = None,
    scheduler: str | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    **cluster,
) -> Iterator:
    """A ``distributed.Client``: on the cluster at ``scheduler``, or on a new ``LocalCluster`` of ``workers``
    single-threaded worker processes (default: one per core) bound to loopback, with any other
    ``LocalCluster`` arguments in ``cluster`` (e.g. ``memory_limit``). Closed on exit.

    Reaching ``scheduler`` has a deadline of ``connect_timeout`` seconds for the connection *and* the handshake
    (a port that accepts and never answers is a :class:`ClusterError`, not a hang), and an address that is not
    one is a :class:`ClusterError` too.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        c = _connect(scheduler, connect_timeout)
        try:
            yield c
        finally:
            c.close()
        return
    n = workers or os.cpu_count() or 1
    local = LocalCluster(
        n_workers=n,
        threads_per_worker=1,  # a worker runs one report (one kernel) or one chunk at a time
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
        **cluster,
    )
    c = Client(local)
    try:
        yield c
    finally:
        c.close()
        local.close()
