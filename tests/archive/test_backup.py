"""Backup to a second real SeaweedFS server: verified copies, incremental passes, a corrupt primary copy
refused, and ``backup --watch`` catching up after the backup site was down."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from archive.errors import ArchiveError
from archive.formats.hashing import sha256_bytes
from archive.preservation.backup import MARK_PREFIX, Backup
from archive.preservation.replication import CopyOutcome
from archive.preservation.verify import find_prefix, verify_recording
from archive.store.object_store import ObjectStore
from archive.store.sites import Site
from tests.conftest import MakeEmbeddedStore
from tests.waiting import wait_until

from .conftest import Golden, corrupt_in_place, fresh_site, seed, site_env

pytestmark = pytest.mark.integration


def test_backup_copies_every_object_verified_then_skips_unchanged(
    sites: tuple[Site, Site], golden: Golden
) -> None:
    primary, backup = sites
    steps: list[tuple[int, int]] = []
    first = Backup(primary, backup).run_once(on_progress=lambda done, total: steps.append((done, total)))
    assert first.ok, first.problems
    assert steps == [(n, len(golden)) for n in range(1, len(golden) + 1)]  # one step per recording
    total = sum(len(objects) for objects in golden.values())
    assert first.counts == {CopyOutcome.COPIED: total}
    for rid in golden:
        report = verify_recording(backup.store, rid)
        assert report.intact, report.problems
    assert len(list(backup.store.list_objects(MARK_PREFIX))) == len(golden)

    second = Backup(primary, backup).run_once()
    assert second.ok and second.unchanged == len(golden)
    assert second.counts == {} and second.bytes_copied == 0


def test_backup_resumes_an_interrupted_pass_without_copying_twice(
    sites: tuple[Site, Site], golden: Golden
) -> None:
    primary, backup = sites
    half = list(golden["rec-a"].items())[:3]
    for key, data in half:  # as if a pass had died after three objects
        backup.store.put_bytes(key, data, sha256_bytes(data))
    report = Backup(primary, backup).run_once()
    assert report.ok, report.problems
    assert report.counts[CopyOutcome.PRESENT] == 3
    assert verify_recording(backup.store, "rec-a").intact


def test_backup_never_copies_a_primary_object_that_fails_its_journal_hash(
    sites: tuple[Site, Site], golden: Golden
) -> None:
    primary, backup = sites
    prefix = find_prefix(primary.store, "rec-a")
    key = f"{prefix}/cam/00000001.m4s"
    corrupt_in_place(primary, key)  # metadata and server checksum agree with the bad bytes
    report = Backup(primary, backup).run_once()
    assert not report.ok
    assert any(key in problem and "source_bad" in problem for problem in report.problems)
    assert backup.store.stat(key) is None  # the bad bytes did not travel
    assert not list(backup.store.list_objects(f"{MARK_PREFIX}rec-a/"))  # not marked as backed up
    assert verify_recording(backup.store, "rec-b").intact  # the other recording still went through


def test_backup_command_watch_catches_up_after_the_backup_site_was_down(
    make_embedded_store: MakeEmbeddedStore,
    embedded_store,
    golden: Golden,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    primary = fresh_site("primary", embedded_store.config)
    seed(primary, golden, "rec-a")
    backup_server = make_embedded_store()
    backup = Site("backup", ObjectStore(dataclasses.replace(backup_server.config, bucket="courtrec-backup")))
    env = site_env(primary, backup)
    log = tmp_path / "watch.log"
    errors = log.open("w")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "archive", "backup", "--watch", "--interval", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        _wait_until(lambda: _intact(backup, "rec-a"), 60, "the first recording reaches the backup")
        backup_server.stop(grace_seconds=5)
        seed(primary, golden, "rec-b")  # a recording arrives while the backup site is down
        _wait_until(  # several passes fail meanwhile
            lambda: log.read_text().count("backup pass failed") >= 2, 60, "two failed passes"
        )
        assert watcher.poll() is None, "backup --watch must survive the outage"
        backup_server.start()
        _wait_until(lambda: _intact(backup, "rec-b"), 60, "the backup catches up")
    finally:
        watcher.send_signal(signal.SIGTERM)
        stdout, _ = watcher.communicate(timeout=30)
        errors.close()
    stderr = log.read_text()
    assert watcher.returncode == 0, stderr
    assert "backup pass failed" in stderr  # the outage was seen and retried
    for rid in golden:
        assert _intact(backup, rid)
        for key, data in golden[rid].items():
            assert backup.store.read_bytes(key) == data  # nothing lost, nothing altered
    assert "backup pass ok" in stdout


def _intact(site: Site, recording_id: str) -> bool:
    try:
        return verify_recording(site.store, recording_id).intact
    except ArchiveError:  # not there yet, or the site is down: keep polling
        return False


def _wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    wait_until(condition, timeout, what, poll=0.3)


@pytest.mark.parametrize("bucket", ["same", "other"])
def test_a_backup_on_the_primarys_own_server_is_refused(embedded_store, bucket: str) -> None:  # type: ignore[no-untyped-def]
    """Court IT pointed COURTREC_BACKUP_S3_* at the primary (or another bucket of it): refused with a
    message naming both, before anything is copied."""
    primary = fresh_site("primary", embedded_store.config)
    config = primary.store.config
    endpoint = config.endpoint.replace("127.0.0.1", "localhost")  # another name for the same server
    twin = dataclasses.replace(
        config, endpoint=endpoint, bucket=config.bucket if bucket == "same" else "elsewhere"
    )
    env = site_env(primary, Site("backup", ObjectStore(twin)))
    done = subprocess.run(
        [sys.executable, "-m", "archive", "backup"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "same S3 server as the primary" in done.stderr and "COURTREC_BACKUP_S3_ENDPOINT" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(primary.store.list_objects("")) == []  # nothing written anywhere
