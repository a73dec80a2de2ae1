"""The one helper behind every client=: the same tasks here or on a cluster, and a scheduler that cannot be
reached is one clear error within a deadline (reliability review 2: N9, N14)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from qindex.errors import ClusterError
from qindex.parallel import Here, client, executor, map_tasks


def test_without_a_cluster_tasks_run_here_in_order():
    assert map_tasks(None, pow, [1, 2, 3], 2) == [1, 4, 9]
    ex = executor(None)
    assert isinstance(ex, Here) and ex.gather(ex.submit(divmod, 7, 2, pure=False)) == (3, 1)


def test_a_port_that_accepts_and_never_answers_is_an_error_not_a_hang():
    # N9: Client(timeout=) bounded the TCP connect, not the handshake: no answer after 300 s
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []
    threading.Thread(target=lambda: held.append(listener.accept()), daemon=True).start()
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    started = time.monotonic()
    with (
        pytest.raises(ClusterError, match="did not answer within 2 s"),
        client(scheduler=address, connect_timeout=2),
    ):
        pass
    assert time.monotonic() - started < 60  # the deadline, with room for a loaded machine
    listener.close()


def test_an_address_that_is_not_one_is_a_clear_error():
    # N14: a ValueError traceback
    with (
        pytest.raises(ClusterError, match="cannot reach the Dask scheduler at not-an-address::"),
        client(scheduler="not-an-address::", connect_timeout=2),
    ):
        pass
