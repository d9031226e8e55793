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
from argon2 import PasswordHasher, Type

from archive.errors import ArchiveError
from archive.store import ObjectStore, StoreConfig
from archive.store.embedded import EmbeddedStore
from archive.store.embedded.weed_process import weed_ports
from portal.identity import passwords
from tests import route_build_cache

route_build_cache.install()  # every app a test creates shares FastAPI's route build (see the module)

# Bases from 10000 to 20000 keep weed's admin gRPC port (base + 10008) in 20008..30008: below Linux's
# ephemeral range (32768+), where outgoing connections could take it between our check and weed's bind,
# and above every base, so that the slices below never overlap.
_PORT_RANGE = (10000, 20000)
_PORT_SPAN = 9  # a weed port set is base .. base + 8 (and base + 10008)

# Fixtures that start a real server, encoder or recording; a test needing any of them is an
# integration test (``make check`` leaves those out). store_config and template reach their servers
# through request.getfixturevalue, so they are named here themselves.
INTEGRATION_FIXTURES = frozenset(
    {
        "embedded_store",
        "store_config",
        "make_embedded_store",
        "backup_embedded_store",
        "pg_cluster",
        "template",
        "live_server",
        "test_feed",
        "tone_feed",
    }
)


# The 40 files whose tests take longest together (14 to 85 s each, mostly waiting on real time;
# re-measured 2026-12-04 from per-test wall times of the whole suite under `make test`), handed out
# first under pytest-xdist so that no worker starts one of them near the end while the rest sit idle.
# Longest first, except that the first dozen alternate files that mostly wait (scheduled hearings,
# crashes, fault plans) with files that mostly compute (the API fuzz, the crawl, the CLI, masking):
# six waiting files at once left a core idle for the first minute. This order only holds with
# --no-loadscope-reorder, which the Makefile passes (tests/test_suite_order.py checks it): by default
# xdist's loadscope re-sorts the files by their number of tests.
LONGEST_FIRST = (
    "tests/portal/test_courtroom_service.py",
    "tests/portal/test_schemathesis.py",
    "tests/faults/test_crash_windows.py",
    "tests/portal/test_crawl.py",
    "tests/streaming/test_public_hls_players.py",
    "tests/portal/test_cli.py",
    "tests/faults/test_bodycam_fleet.py",
    "tests/portal/test_sound_and_picture.py",
    "tests/capture/bodycam/test_quota_store_down.py",
    "tests/portal/test_masked_replays.py",
    "tests/archive/test_fixity_audit.py",
    "tests/portal/test_microphone_channels.py",
    "tests/capture/test_store_outage.py",
    "tests/capture/bodycam/test_pre_event.py",
    "tests/faults/test_disk_full.py",
    "tests/streaming/test_mixed_broadcast_sound.py",
    "tests/portal/test_position_trace.py",
    "tests/streaming/test_wall_operator.py",
    "tests/capture/test_microphone_mix.py",
    "tests/streaming/test_public_hls.py",
    "tests/faults/test_restart_gap_clock.py",
    "tests/capture/test_recording.py",
    "tests/security/test_court_isolation.py",
    "tests/portal/test_live_origin.py",
    "tests/capture/bodycam/test_activation_process.py",
    "tests/capture/test_bad_input.py",
    "tests/portal/test_broadcasts.py",
    "tests/portal/test_live_wall.py",
    "tests/archive/test_embedded_store.py",
    "tests/portal/test_replays.py",
    "tests/archive/test_backup.py",
    "tests/portal/test_browser.py",
    "tests/faults/test_kill_loop.py",
    "tests/portal/test_recording_marks.py",
    "tests/streaming/test_agent_live.py",
    "tests/capture/test_cmaf_recording.py",
    "tests/capture/test_overload.py",
    "tests/portal/test_live_browser.py",
    "tests/streaming/test_wall_browser.py",
    "tests/portal/test_lan_media.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses one of INTEGRATION_FIXTURES as ``integration``; under pytest-xdist,
    move the tests of LONGEST_FIRST to the front (every worker sorts alike, as xdist requires)."""
    for item in items:
        if INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = config.rootpath
        items.sort(key=lambda item: longest_first_rank(item.path.relative_to(root).as_posix()))


_RANK = {path: index for index, path in enumerate(LONGEST_FIRST)}


def longest_first_rank(path: str) -> int:
    """Where the test file ``path`` (relative to the repository) goes in the run: LONGEST_FIRST's
    files by their place there, then every other file (a stable sort keeps their order)."""
    return _RANK.get(path, len(_RANK))


def _worker_port_range() -> tuple[int, int]:
    """This pytest-xdist worker's own slice of _PORT_RANGE (all of it without xdist), so parallel
    workers never pick overlapping weed port sets."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    low, high = _PORT_RANGE
    width = (high - low) // max(1, count)
    return low + index * width, low + (index + 1) * width - _PORT_SPAN


MakeEmbeddedStore = Callable[..., EmbeddedStore]

# Argon2id at its smallest cost for the tests' password hashing and checking (the seeded worlds, every
# sign-in, the lockout tests' dozens of wrong passwords): at the production cost (m=19 MiB, t=2) each
# hash or check is ~30 ms of CPU alone and far more under load, and no test but the cost's own is
# about the cost. The production objects are kept: tests/portal/test_passwords.py takes them back
# (``production_argon2``) and checks the production parameters of new hashes and of the dummy hash.
_PRODUCTION_ARGON2 = (passwords._HASHER, passwords._DUMMY_HASH)
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
_CHEAP_ARGON2 = (_CHEAP_HASHER, _CHEAP_HASHER.hash("not-a-password-of-anyone"))


@pytest.fixture(scope="session", autouse=True)
def cheap_argon2() -> Iterator[None]:
    """Every test hashes and checks passwords at the cheapest Argon2id cost (see _CHEAP_HASHER)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(passwords, "_HASHER", _CHEAP_ARGON2[0])
        monkeypatch.setattr(passwords, "_DUMMY_HASH", _CHEAP_ARGON2[1])
        yield


@pytest.fixture
def production_argon2(cheap_argon2: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The production Argon2id hasher and dummy hash back in ``portal.identity.passwords`` for one test."""
    monkeypatch.setattr(passwords, "_HASHER", _PRODUCTION_ARGON2[0])
    monkeypatch.setattr(passwords, "_DUMMY_HASH", _PRODUCTION_ARGON2[1])


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
    port_range = _worker_port_range()
    for _ in range(500):
        base = rng.randrange(*port_range)
        if all(_port_is_free(port) for port in weed_ports(base).values()):
            return base
    raise RuntimeError(f"no free weed port set found in {port_range}")


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


@pytest.fixture(scope="session")
def backup_embedded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """A second real SeaweedFS server (the backup site) for the whole session."""
    store = EmbeddedStore(tmp_path_factory.mktemp("backup-store"), port=free_port())
    store.start()
    try:
        yield store
    finally:
        store.stop(grace_seconds=5)  # weed can take 4-28 s on SIGTERM; this data is thrown away


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
