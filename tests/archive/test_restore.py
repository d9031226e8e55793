"""Restore from the backup site: deleted objects come back and ``archive verify`` passes; a whole lost
primary is rebuilt; a bad backup copy is never restored."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from archive.preservation.backup import Backup
from archive.preservation.compliance_log import ComplianceLog
from archive.preservation.compliance_records import ComplianceEvent, LegalHoldSet
from archive.preservation.replication import CopyOutcome
from archive.preservation.restore import restore
from archive.preservation.verify import find_prefix, verify_recording
from archive.store.object_store import ObjectStore
from archive.store.sites import Site

from .conftest import Golden, corrupt_in_place, run_archive, run_archive_main, site_env

pytestmark = pytest.mark.integration


@pytest.fixture
def backed_up(sites: tuple[Site, Site]) -> tuple[Site, Site]:
    primary, backup = sites
    ComplianceLog(primary.store).append(
        LegalHoldSet(case="2026-civ-100", reason="appeal", recordings=(), locked_sites=()), actor="clerk"
    )
    assert Backup(primary, backup).run_once().ok
    return primary, backup


def test_restore_command_brings_deleted_objects_back_and_verify_passes(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    prefix_a = find_prefix(primary.store, "rec-a")
    prefix_b = find_prefix(primary.store, "rec-b")
    deleted = [
        f"{prefix_a}/cam/00000002.m4s",
        f"{prefix_a}/mic/init.mp4",
        f"{prefix_b}/journal/000001.jsonl",
        "recordings-by-id/rec-b.json",
    ]
    for key in deleted:
        primary.store.delete(key)
    env = site_env(primary, backup)
    assert run_archive_main(env, "verify", "rec-a").returncode == 1

    result = run_archive(env, "restore")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore ok" in result.stdout
    assert (
        "restore: 1/2 recordings (50%)" in result.stderr and "restore: 2/2 recordings (100%)" in result.stderr
    )
    for rid in ("rec-a", "rec-b"):
        verified = run_archive_main(env, "verify", rid)
        assert verified.returncode == 0, verified.stdout
        assert "intact" in verified.stdout
    for key in deleted:
        assert primary.store.stat(key) is not None


def test_restore_of_one_recording_leaves_the_others_alone(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    key_a = f"{find_prefix(primary.store, 'rec-a')}/cam/00000001.m4s"
    key_b = f"{find_prefix(primary.store, 'rec-b')}/cam/00000001.m4s"
    primary.store.delete(key_a)
    primary.store.delete(key_b)
    report = restore(backup, primary, recording_id="rec-a")
    assert report.ok, report.lines()
    assert list(report.verified) == ["rec-a"] and report.counts[CopyOutcome.COPIED] == 1
    assert primary.store.stat(key_a) is not None and primary.store.stat(key_b) is None


def test_a_lost_primary_is_rebuilt_from_the_backup_with_its_compliance_log(
    backed_up: tuple[Site, Site], golden: Golden
) -> None:
    primary, backup = backed_up  # the primary bucket is "lost": restore into a new, absent one
    config = dataclasses.replace(primary.store.config, bucket=f"rebuilt-{uuid.uuid4().hex[:12]}")
    new_primary = Site("primary", ObjectStore(config))
    assert not new_primary.store.bucket_exists()
    report = restore(backup, new_primary)
    assert report.ok, report.lines()
    assert (
        new_primary.store.object_lock().bucket_lock_enabled()
    )  # created lock-enabled, as evidence buckets are
    for rid, objects in golden.items():
        assert verify_recording(new_primary.store, rid).intact
        for key, data in objects.items():
            assert new_primary.store.read_bytes(key) == data
    records = ComplianceLog(new_primary.store).records()
    assert [r.type for r in records] == [ComplianceEvent.LEGAL_HOLD_SET]


def test_a_bad_backup_copy_is_never_restored(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    key = f"{find_prefix(primary.store, 'rec-a')}/cam/00000002.m4s"
    corrupt_in_place(backup, key)
    primary.store.delete(key)
    report = restore(backup, primary)
    assert not report.ok
    assert report.counts[CopyOutcome.SOURCE_BAD] == 1
    assert any(key in problem for problem in report.problems)
    assert primary.store.stat(key) is None  # nothing written rather than bad bytes
    assert not report.verified["rec-a"].intact and report.verified["rec-b"].intact
