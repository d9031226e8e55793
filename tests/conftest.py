"""Shared fixtures: a real SeaweedFS S3 server for the session, fresh buckets per test, extra sites.

Set COURTREC_S3_ENDPOINT, COURTREC_S3_ACCESS_KEY and COURTREC_S3_SECRET_KEY (optionally
COURTREC_S3_REGION) to run the ``object_store`` tests against an external S3 service (e.g. MinIO)
instead of the embedded server; each test still gets its own fresh bucket.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import socket
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archive.errors import ArchiveError
from archive.store import ObjectStore, StoreConfig
from archive.store.embedded import EmbeddedStore
from archive.store.weed_process import weed_ports

# Bases up to 22000 keep weed's admin gRPC port (base + 10008) below Linux's ephemeral range (32768+),
# where outgoing connections could take it between our check and weed's bind.
_PORT_RANGE = (10000, 22000)

MakeEmbeddedStore = Callable[..., EmbeddedStore]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback S3 port for EmbeddedStore whose whole derived weed port set is free right now."""
    rng = random.Random()
    for _ in range(500):
        base = rng.randrange(*_PORT_RANGE)
        if all(_port_is_free(port) for port in weed_ports(base).values()):
            return base
    raise RuntimeError(f"no free weed port set found in {_PORT_RANGE}")


def _external_config() -> StoreConfig | None:
    names = ("COURTREC_S3_ENDPOINT", "COURTREC_S3_ACCESS_KEY", "COURTREC_S3_SECRET_KEY")
    if not all(os.environ.get(name) for name in names):
        return None
    return StoreConfig(
        endpoint=os.environ["COURTREC_S3_ENDPOINT"],
        access_key=os.environ["COURTREC_S3_ACCESS_KEY"],
        secret_key=os.environ["COURTREC_S3_SECRET_KEY"],
        bucket="unused",
        region=os.environ.get("COURTREC_S3_REGION", "us-east-1"),
    )


def empty_and_delete_bucket(store: ObjectStore) -> None:
    """Best-effort teardown: delete every object, then the bucket (locked objects stay)."""
    with contextlib.suppress(ArchiveError):
        for stored in list(store.list_objects("")):
            with contextlib.suppress(ArchiveError):
                store.delete(stored.key)
        store.delete_bucket()


@pytest.fixture(scope="session")
def embedded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """One real SeaweedFS server for the whole session, on a free loopback port."""
    store = EmbeddedStore(tmp_path_factory.mktemp("embedded-store"), port=free_port())
    store.start()
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture
def store_config(request: pytest.FixtureRequest) -> StoreConfig:
    """Config of the store under test (external if configured, else the session's embedded one)."""
    external = _external_config()
    if external is not None:
        return external
    embedded: EmbeddedStore = request.getfixturevalue("embedded_store")
    return embedded.config


@pytest.fixture
def object_store(store_config: StoreConfig) -> Iterator[ObjectStore]:
    """An ObjectStore on a fresh, empty bucket of its own; the bucket is removed afterwards."""
    config = dataclasses.replace(store_config, bucket=f"test-{uuid.uuid4().hex[:16]}")
    store = ObjectStore(config)
    store.ensure_bucket()
    yield store
    empty_and_delete_bucket(store)


@pytest.fixture
def make_embedded_store(tmp_path: Path) -> Iterator[MakeEmbeddedStore]:
    """Factory: ``make_embedded_store(data_dir=None, port=None)`` returns a started EmbeddedStore.

    Each call gets its own directory under tmp_path unless ``data_dir`` is given; every store made is
    stopped at teardown (in parallel, since weed can take seconds to shut down).
    """
    made: list[EmbeddedStore] = []

    def make(data_dir: Path | None = None, *, port: int | None = None) -> EmbeddedStore:
        directory = data_dir if data_dir is not None else tmp_path / f"site-{len(made)}"
        store = EmbeddedStore(directory, port=port if port is not None else free_port())
        made.append(store)
        store.start()
        return store

    yield make
    with ThreadPoolExecutor(max_workers=max(1, len(made))) as pool:
        list(pool.map(lambda store: store.stop(), made))
