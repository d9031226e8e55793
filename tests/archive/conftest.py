"""Fixtures for backup, audit, retention, restore and export: two real SeaweedFS sites and real recordings.

Two short recordings are made once per session by the real capture agent (synthetic sources, real
x264/AAC, real journal and signatures) into a session bucket; each test seeds fresh buckets on the
primary and backup servers from their bytes, so tests stay independent and fast.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from archive.cli import main as archive_main
from archive.formats.hashing import sha256_bytes
from archive.store import ObjectStore, StoreConfig
from archive.store.embedded import EmbeddedStore
from archive.store.sites import Site
from tests.capture.conftest import SMALL_VIDEO, agent_command, store_env
from tests.conftest import empty_and_delete_bucket
from tests.inprocess import run_main

Golden = dict[str, dict[str, bytes]]  # recording id -> {key: bytes}
MakeSites = Callable[..., tuple[Site, Site]]

# (recording id, case, extra sources): rec-a has a picture-only camera and a microphone, rec-b one
# camera with its own sound (recorded as two CMAF track files, cam and cam.audio)
RECORDINGS = (
    ("rec-a", "2026-civ-100", [f"{SMALL_VIDEO}&name=cam", "synthetic#video=0&name=mic"]),
    ("rec-b", "2026-crim-200", ["synthetic#size=320x240&fps=15&name=cam"]),
)


@pytest.fixture(scope="session")
def golden(embedded_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Golden:
    """The archived objects of two real recordings (made once, in parallel), by recording id."""
    config = dataclasses.replace(embedded_store.config, bucket=f"golden-{uuid.uuid4().hex[:12]}")
    store = ObjectStore(config)
    store.ensure_bucket()
    spool_root = tmp_path_factory.mktemp("golden-spools")
    agents = [_start_agent(config, spool_root / rid, rid, case, sources) for rid, case, sources in RECORDINGS]
    for agent in agents:
        _stdout, stderr = agent.communicate(timeout=120)
        assert agent.returncode == 0, stderr
    objects = {o.key: store.read_bytes(o.key) for o in store.list_objects("")}
    return {
        rid: {k: v for k, v in objects.items() if f"/{rid}/" in k or k.endswith(f"/{rid}.json")}
        for rid, *_ in RECORDINGS
    }


def _start_agent(
    config: StoreConfig, spool: Path, recording_id: str, case: str, sources: list[str]
) -> subprocess.Popen[str]:
    arguments = ["record", "--room", "court-7", "--case", case, "--recording-id", recording_id]
    arguments += ["--spool", str(spool), "--duration", "4", "--segment-seconds", "2", "--drain-seconds", "30"]
    for source in sources:
        arguments += ["--source", source]
    return subprocess.Popen(
        agent_command(*arguments),
        env=store_env(config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fresh_site(name: str, config: StoreConfig, *, object_lock: bool = True) -> Site:
    """A Site on a new, empty bucket of ``config``'s server."""
    store = ObjectStore(dataclasses.replace(config, bucket=f"{name}-{uuid.uuid4().hex[:12]}"))
    store.ensure_bucket(object_lock=object_lock)
    return Site(name, store)


def seed(site: Site, golden: Golden, *recording_ids: str) -> None:
    """Put the golden objects of ``recording_ids`` (default: all) into ``site``'s bucket."""
    for rid in recording_ids or tuple(golden):
        for key, data in golden[rid].items():
            site.store.put_bytes(key, data, sha256_bytes(data))


@pytest.fixture
def make_sites(embedded_store: EmbeddedStore, backup_embedded_store: EmbeddedStore) -> Iterator[MakeSites]:
    """Factory: ``make_sites(object_lock=True)`` -> (primary, backup) on fresh buckets of the two servers."""
    made: list[Site] = []

    def make(*, object_lock: bool = True) -> tuple[Site, Site]:
        primary = fresh_site("primary", embedded_store.config, object_lock=object_lock)
        backup = fresh_site("backup", backup_embedded_store.config, object_lock=object_lock)
        made.extend((primary, backup))
        return primary, backup

    yield make
    for site in made:
        empty_and_delete_bucket(site.store)  # best effort: objects under Object Lock stay


@pytest.fixture
def sites(make_sites: MakeSites, golden: Golden) -> tuple[Site, Site]:
    """A primary holding both golden recordings and an empty backup, both lock-enabled."""
    primary, backup = make_sites()
    seed(primary, golden)
    return primary, backup


def flip_byte(data: bytes, offset: int | None = None) -> bytes:
    """``data`` with one bit of one byte flipped (same size)."""
    where = len(data) // 2 if offset is None else offset
    return data[:where] + bytes([data[where] ^ 0x01]) + data[where + 1 :]


def corrupt_in_place(site: Site, key: str) -> bytes:
    """Replace ``key`` by the same bytes with one byte changed, stored with their own correct SHA-256
    (so its metadata and the server's checksum agree with the bad bytes: only the journal can tell)."""
    bad = flip_byte(site.store.read_bytes(key))
    site.store.replace_bytes(key, bad, sha256_bytes(bad))
    return bad


def flip_byte_on_disk(store: EmbeddedStore, bucket: str, data: bytes) -> Path:
    """Flip one byte of ``data`` inside weed's volume files of ``bucket`` (bit rot under S3)."""
    needle = data[len(data) // 2 : len(data) // 2 + 48]
    for volume in sorted((store.data_dir / "weed").rglob("*.dat")):
        if not volume.name.startswith(f"{bucket}_"):
            continue
        blob = volume.read_bytes()
        at = blob.find(needle)
        if at >= 0:
            with volume.open("r+b") as handle:
                handle.seek(at + 10)
                byte = handle.read(1)
                handle.seek(at + 10)
                handle.write(bytes([byte[0] ^ 0x01]))
            return volume
    raise AssertionError(f"the object's bytes were not found in any volume file of bucket {bucket}")


def site_env(primary: Site, backup: Site | None = None, **extra: str) -> dict[str, str]:
    """Environment for ``python -m archive`` against these sites."""
    env = store_env(primary.store.config)
    if backup is not None:
        config = backup.store.config
        env |= {
            "COURTREC_BACKUP_S3_ENDPOINT": config.endpoint,
            "COURTREC_BACKUP_S3_ACCESS_KEY": config.access_key,
            "COURTREC_BACKUP_S3_SECRET_KEY": config.secret_key,
            "COURTREC_BACKUP_S3_BUCKET": config.bucket,
        }
    return env | extra


def run_archive(
    env: dict[str, str], *arguments: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m archive ARGUMENTS`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "archive", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_archive_main(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """What ``run_archive`` returns, from ``archive.cli.main`` in this process (tests/inprocess.py):
    for the further commands of a test that has run the real ``python -m archive`` already."""
    return run_main(archive_main, arguments, env)
