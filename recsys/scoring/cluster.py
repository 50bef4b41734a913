"""The Dask cluster a ``recsys score`` run sends its partitions to, made ready in the
background: a ``LocalCluster`` on this machine (``"local"``) or a running scheduler
(``tcp://host:8786``).

:meth:`ScoringCluster.start` returns at once; the workers boot, import the scoring code and
load the compiled mentor search (:func:`warm_up`) while the command reads the data set, and
:meth:`ScoringCluster.client` waits for them only when the first partition is ready to go.

A local cluster's workers run one thread each, without the malloc trimming Dask's nannies
ask glibc for by default (``MALLOC_TRIM_THRESHOLD_``): with it every large temporary array
is a fresh memory mapping, and scoring spent about 8% more CPU time faulting pages in. The
workers' peak memory is measured with it off (benchmarks/national.py).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dask.distributed import Client

log = logging.getLogger(__name__)

#: ``--cluster`` value for a ``LocalCluster`` on this machine.
LOCAL = "local"


def warm_up() -> None:
    """Import what scoring a partition needs and load (or compile) the mentor search and
    the tree scorer, so a worker's first partition pays for none of them."""
    import recsys.scoring.answers
    import recsys.scoring.records
    import recsys.scoring.store  # noqa: F401
    from recsys.models.mentors.block_search import compile_search
    from recsys.models.tree_scorer import compile_scorer

    compile_search()
    compile_scorer()


class ClusterError(RuntimeError):
    """The cluster could not be started or reached."""


class ScoringCluster:
    """A Dask cluster for scoring, started in a background thread.

    Parameters
    ----------
    address : str
        :data:`LOCAL` for a ``LocalCluster`` of ``workers`` single-threaded worker
        processes on this machine, or a scheduler address (``tcp://host:8786``).
    workers : int
        Workers of a local cluster (≥ 1).
    """

    def __init__(self, address: str, workers: int = 2) -> None:
        self.address = address
        self.workers = workers
        self._client: Client | None = None
        self._local: Any = None
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None
        self._warming: list[Any] = []

    def __repr__(self) -> str:
        return f"ScoringCluster({self.address!r}, workers={self.workers})"

    def start(self) -> ScoringCluster:
        """Start the cluster (or connect to the scheduler) in the background; returns
        self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._connect, name="recsys-cluster")
            self._thread.start()
        return self

    def client(self) -> Client:
        """The connected client, once the cluster is up; :class:`ClusterError` if it could
        not be started or reached."""
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            where = "a local cluster" if self.address == LOCAL else self.address
            raise ClusterError(f"{where}: {self._error}") from self._error
        assert self._client is not None
        return self._client

    def close(self) -> None:
        """Disconnect, and stop a local cluster (waits for a start still under way)."""
        if self._thread is not None:
            self._thread.join()
        self._warming = []
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._local is not None:
            self._local.close()
            self._local = None

    def __enter__(self) -> ScoringCluster:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _connect(self) -> None:
        try:
            import dask
            from dask.distributed import Client, LocalCluster

            quiet = logging.getLogger().level > logging.INFO  # Dask's notices: --verbose only
            if quiet:
                logging.getLogger("distributed").setLevel(logging.WARNING)
            if self.address == LOCAL:
                trim = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
                with dask.config.set({trim: None}):
                    self._local = LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        silence_logs=logging.WARNING if quiet else logging.INFO,
                    )
            client = Client(self._local if self._local is not None else self.address)
            # one task per worker, ahead of its first partition (kept: a released future
            # is cancelled)
            self._warming = [
                client.submit(warm_up, workers=[worker], pure=False, key=f"warm-up-{worker}")
                for worker in client.scheduler_info().get("workers", {})
            ]
            self._client = client
        except Exception as exc:  # handed to the caller of client()
            self._error = exc
