"""``recsys score --cluster``: the real CLI on a real Dask cluster, started while the data
is read, gives the answers of one process; a cluster that cannot be reached is a clear
error that changes nothing."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from recsys.scoring.cluster import LOCAL, ClusterError, ScoringCluster
from recsys.scoring.store import RecommendationStore, StoredPerson
from tests.serving.server import score_into


def _answers(url: str) -> dict[str, StoredPerson]:
    store = RecommendationStore(url)
    try:
        current = store.current()
        assert current is not None
        nips = store.sample_nips(current.id, 10**6)
        nips += store.sample_nips(current.id, 10**6, active=False)
        return store.persons(current.id, nips)
    finally:
        store.dispose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_the_cli_on_a_local_cluster_stores_the_answers_of_one_process(
    small_world: Path, bundle: Path, tmp_path: Path
) -> None:
    alone, on_dask = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'dask.db'}"
    done = score_into(small_world, bundle, alone, "--no-plan")
    assert done.returncode == 0, done.stderr
    done = score_into(small_world, bundle, on_dask, "--no-plan", "--cluster", LOCAL)
    assert done.returncode == 0, done.stderr
    assert "3,000 employees" in " ".join(done.stdout.split())
    expected, stored = _answers(alone), _answers(on_dask)
    assert len(expected) == 3_000 and stored.keys() == expected.keys()
    assert [n for n in expected if stored[n] != expected[n]] == []


def test_an_unreachable_scheduler_is_a_clear_error_that_changes_nothing(
    small_world: Path, bundle: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert score_into(small_world, bundle, url, "--no-plan").returncode == 0
    before = _answers(url)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    done = score_into(
        small_world,
        bundle,
        url,
        "--no-plan",
        "--restart",
        "--cluster",
        address,
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
    )
    message = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0
    assert address in message and "Nothing was changed" in message
    assert "Traceback" not in message
    assert _answers(url) == before


def test_a_cluster_error_names_the_address() -> None:
    import dask
    import dask.distributed  # its defaults in the config before the config is changed

    address = f"tcp://127.0.0.1:{_closed_port()}"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        cluster = ScoringCluster(address).start()
        with pytest.raises(ClusterError, match=address):
            cluster.client()
        cluster.close()
