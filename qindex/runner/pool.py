"""Kernels started ahead for a batch of runs: each report still gets a fresh kernel of its own.

A cold run spends most of its time before its first cell: starting Python, starting the kernel, importing
pandas, matplotlib, scipy and qindex. A :class:`KernelPool` starts kernels ahead of need and has each import
the modules every report notebook imports (:data:`WARM_UP`), while the previous report runs; a run takes one
(:meth:`KernelPool.take`), executes its notebook on it and shuts it down. No kernel runs two reports, so no
state passes from one report to the next: what a kernel holds before its report starts is the imported
modules, as after the notebook's own import cell. The warm-up runs silently (no output, no execution count:
the report's cells are numbered from 1 as on a cold kernel).

Used by :func:`qindex.runner.batch.run_batch`, one pool per process (the batch's own, or each Dask worker's).

Example
-------
>>> with KernelPool(size=1) as pool:  # doctest: +SKIP
...     km = pool.take()  # a started kernel, past the common imports
"""

from __future__ import annotations

import threading
from collections import deque

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.kernelspec import find_kernel_specs
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from qindex import paths
from qindex.errors import RunError

#: What every report notebook imports in its first cell (``notebooks/*.ipynb``), run before it is handed out.
WARM_UP = (
    "import qindex.plots, qindex.reports.plan, qindex.reports.annual, qindex.reports.compare, "
    "qindex.reports.index, qindex.reports.text"
)
#: Seconds a kernel may take to start and import before the pool gives up on it.
READY_TIMEOUT = 120.0


class _Warm:
    """One kernel being started and warmed in a thread of its own."""

    def __init__(self, kernel_name: str, extra_arguments: list[str]):
        self.km = AsyncKernelManager(kernel_name=kernel_name)
        self.error: BaseException | None = None
        try:
            run_sync(self.km.start_kernel)(
                cwd=str(paths.NOTEBOOKS), extra_arguments=list(extra_arguments)
            )
        except Exception as exc:  # no such kernel, a kernel command that does not start
            raise RunError(
                f"the kernel {kernel_name!r} could not be started ({type(exc).__name__}: {exc})"
            ) from None
        self.thread = threading.Thread(target=self._warm, daemon=True)
        self.thread.start()

    def _warm(self) -> None:
        kc = BlockingKernelClient()
        kc.load_connection_info(self.km.get_connection_info())
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=READY_TIMEOUT)
            reply = kc.execute_interactive(
                WARM_UP, silent=True, store_history=False, timeout=READY_TIMEOUT
            )
            if reply["content"]["status"] != "ok":
                c = reply["content"]
                raise RunError(
                    f"a kernel could not import qindex: {c.get('ename')}: {c.get('evalue')}"
                )
        except BaseException as exc:  # handed to the run that takes this kernel
            self.error = exc
        finally:
            kc.stop_channels()

    def ready(self) -> AsyncKernelManager:
        self.thread.join(READY_TIMEOUT + 5)
        if self.thread.is_alive() or self.error is not None:
            shutdown(self.km)
            what = self.error or TimeoutError(f"not ready after {READY_TIMEOUT:.0f} s")
            raise RunError(f"a kernel of the pool failed to start: {what}") from None
        return self.km


class KernelPool:
    """``size`` kernels of ``kernel_name`` started and warmed ahead, each handed out once.

    :meth:`take` returns a ready kernel manager (the caller shuts the kernel down when its run ends, with
    :func:`shutdown`) and starts the next ``size`` at once, so that they warm while the run executes (set
    ``size`` to 0 before the last run: no kernel is started that no run would use). Use it as a context
    manager: kernels not taken are shut down on exit.
    """

    def __init__(
        self,
        kernel_name: str | None = None,
        size: int = 1,
        extra_arguments: list[str] | None = None,
    ):
        self.kernel_name = kernel_name or default_kernel()
        self.size = max(int(size), 0)
        self.extra = extra_arguments if extra_arguments is not None else KERNEL_ARGUMENTS
        self.waiting: deque[_Warm] = deque()
        self.lock = threading.Lock()
        self.closed = False

    def _fill(self) -> None:
        while len(self.waiting) < self.size and not self.closed:
            self.waiting.append(_Warm(self.kernel_name, self.extra))

    def start(self) -> None:
        """Start the first ``size`` kernels now (before the first :meth:`take`)."""
        with self.lock:
            self._fill()

    def take(self) -> AsyncKernelManager:
        """A started kernel past :data:`WARM_UP`, for one run only; the next one starts warming now."""
        with self.lock:
            if self.closed:
                raise RunError("the kernel pool is closed")
            if not self.waiting:
                self.waiting.append(_Warm(self.kernel_name, self.extra))
            warm = self.waiting.popleft()
            self._fill()
        return warm.ready()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            waiting, self.waiting = list(self.waiting), deque()
        for warm in waiting:  # not waited for: a kernel still importing is stopped as it is
            shutdown(warm.km)
            warm.thread.join(1.0)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def shutdown(km: AsyncKernelManager) -> None:
    """Stop a kernel of the pool and remove its connection file (a kernel already gone is no error)."""
    try:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)
    except RuntimeError:
        pass
    finally:
        run_sync(km.cleanup_resources)()


def default_kernel() -> str:
    """The project's kernel (``make`` installs it as ``qindex``), else the environment's ``python3``."""
    return "qindex" if "qindex" in find_kernel_specs() else "python3"


#: The kernel's own start-up warnings (e.g. "running over TCP without encryption", a loopback-only kernel)
#: stay out of the log of scheduled runs; errors still show.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
