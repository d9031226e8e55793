"""Fixity audits over two real SeaweedFS sites: same-size corruption and bit rot under S3 found and
repaired, missing copies restored, lost evidence alarmed, rotating samples, reports for the portal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.alarms import AlarmCollector, AlarmCondition, AlarmSeverity
from archive.formats.hashing import sha256_bytes
from archive.preservation.audit_report import (
    AuditReport,
    FindingStatus,
    RepairOutcome,
    latest_audit_report,
    render_text,
)
from archive.preservation.audit_sampling import next_window, ring_position
from archive.preservation.backup import Backup
from archive.preservation.compliance_log import ComplianceLog
from archive.preservation.compliance_records import ComplianceEvent
from archive.preservation.fixity_audit import FixityAudit
from archive.preservation.verify import find_prefix, verify_recording
from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from archive.store.sites import Site

from .conftest import Golden, corrupt_in_place, flip_byte_on_disk, run_archive, run_archive_main, site_env

pytestmark = pytest.mark.integration


@pytest.fixture
def backed_up(sites: tuple[Site, Site]) -> tuple[Site, Site]:
    primary, backup = sites
    assert Backup(primary, backup).run_once().ok
    return primary, backup


def _segment(site: Site, rid: str = "rec-a", stream: str = "cam", n: int = 1) -> str:
    return f"{find_prefix(site.store, rid)}/{stream}/{n:08d}.m4s"


def test_same_size_corruption_of_a_backup_copy_is_flagged_and_repaired(
    backed_up: tuple[Site, Site], golden: Golden
) -> None:
    primary, backup = backed_up
    key = _segment(primary)
    good = golden["rec-a"][key]
    bad = corrupt_in_place(backup, key)
    stored = backup.store.stat(key)
    assert stored is not None and stored.size == len(good)  # same size: a size check sees nothing
    assert stored.sha256 == stored.server_sha256 != None  # noqa: E711 - metadata agrees with the bad bytes

    log = ComplianceLog(primary.store)
    report = FixityAudit([primary, backup], log=log).run()
    assert [(f.site, f.key, f.status, f.repair, f.repaired_from) for f in report.findings] == [
        ("backup", key, FindingStatus.CORRUPT, RepairOutcome.REPAIRED, "primary")
    ]
    finding = report.findings[0]
    assert finding.actual_sha256 != finding.expected_sha256
    assert backup.store.read_bytes(key) == good != bad
    assert report.clean and report.copies_hashed >= 2 * report.objects_expected - 2
    assert "CLEAN" in render_text(report) and key in render_text(report)

    assert Backup(primary, backup).run_once().ok  # brings the new compliance records to the backup
    again = FixityAudit([primary, backup], log=log).run()
    assert again.findings == [] and again.clean
    types = [record.type for record in log.records()]
    assert types == [ComplianceEvent.REPAIRED, ComplianceEvent.FIXITY_AUDIT, ComplianceEvent.FIXITY_AUDIT]
    latest = latest_audit_report(primary.store)
    assert latest is not None and latest.audit_id == again.audit_id


def test_bit_rot_below_s3_is_found_and_repaired(
    backed_up: tuple[Site, Site], golden: Golden, backup_embedded_store: EmbeddedStore
) -> None:
    primary, backup = backed_up
    key = _segment(primary, n=2)
    flip_byte_on_disk(backup_embedded_store, backup.store.config.bucket, golden["rec-a"][key])
    # HEAD still answers with the checksum stored at upload, so only a full re-read can tell. weed
    # retries a needle that fails its CRC for ~13 s before answering 500; a short timeout keeps this fast.
    impatient = Site("backup", ObjectStore(backup.store.config, timeout_seconds=2))
    stat = impatient.store.stat(key)
    assert stat is not None and stat.server_sha256 == sha256_bytes(golden["rec-a"][key])
    report = FixityAudit([primary, impatient], log=ComplianceLog(primary.store)).run()
    assert len(report.findings) == 1
    finding = report.findings[0]
    assert (finding.site, finding.key) == ("backup", key)
    assert finding.status in (FindingStatus.UNREADABLE, FindingStatus.CORRUPT)
    assert finding.repair is RepairOutcome.REPAIRED
    assert backup.store.read_bytes(key) == golden["rec-a"][key]


def test_objects_missing_on_the_primary_are_restored_from_the_backup(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    prefix = find_prefix(primary.store, "rec-b")
    gone = [f"{prefix}/cam/init.mp4", f"{prefix}/journal/000001.jsonl"]
    for key in gone:
        primary.store.delete(key)
    assert not verify_recording(primary.store, "rec-b").intact
    report = FixityAudit([primary, backup]).run()
    assert sorted(f.key for f in report.findings) == sorted(gone)
    assert {(f.status, f.repair) for f in report.findings} == {
        (FindingStatus.MISSING, RepairOutcome.REPAIRED)
    }
    assert verify_recording(primary.store, "rec-b").intact


def test_an_object_with_no_good_copy_left_raises_a_critical_alarm(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    key = _segment(primary, n=2)
    corrupt_in_place(primary, key)
    corrupt_in_place(backup, key)
    alarms = AlarmCollector()
    report = FixityAudit([primary, backup], alarm=alarms).run()
    assert {(f.site, f.repair) for f in report.findings} == {
        ("primary", RepairOutcome.NO_GOOD_COPY),
        ("backup", RepairOutcome.NO_GOOD_COPY),
    }
    assert not report.clean and len(report.lost) == 2
    assert [a.condition for a in alarms.critical] == [AlarmCondition.NO_GOOD_COPY] * 2
    assert "LOST EVIDENCE" in render_text(report)


def test_a_journal_damaged_on_every_site_is_a_critical_alarm(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    chunk = f"{find_prefix(primary.store, 'rec-b')}/journal/000001.jsonl"
    corrupt_in_place(primary, chunk)
    corrupt_in_place(backup, chunk)
    alarms = AlarmCollector()
    report = FixityAudit([primary, backup], alarm=alarms).run()
    untrusted = [f for f in report.findings if f.status is FindingStatus.JOURNAL_UNTRUSTED]
    assert [f.recording_id for f in untrusted] == ["rec-b"]
    assert alarms.critical and alarms.critical[0].severity is AlarmSeverity.CRITICAL
    assert report.recordings == 1  # rec-a was still audited


def test_a_journal_chunk_damaged_on_one_site_is_repaired_from_the_other(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    chunk = f"{find_prefix(primary.store, 'rec-a')}/journal/000001.jsonl"
    corrupt_in_place(primary, chunk)
    report = FixityAudit([primary, backup]).run()
    assert [(f.site, f.key, f.repair) for f in report.findings] == [
        ("primary", chunk, RepairOutcome.REPAIRED)
    ]
    assert verify_recording(primary.store, "rec-a").intact


def test_a_rotating_sample_covers_every_object_once_per_period(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    key = _segment(primary, rid="rec-b", n=1)
    corrupt_in_place(backup, key)
    period = timedelta(days=4)
    start = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    runs: list[AuditReport] = []
    previous: datetime | None = None
    for day in range(4):
        now = start + timedelta(days=day)
        runs.append(
            FixityAudit([primary, backup]).run(sample_period=period, now=now, previous_run_at=previous)
        )
        previous = now
    expected = runs[0].objects_expected
    assert all(run.objects_expected == expected for run in runs)
    assert sum(run.objects_sampled for run in runs) == expected  # each object exactly once in the period
    assert all(0 < run.objects_sampled < expected for run in runs)  # each run only a part
    flagged = [i for i, run in enumerate(runs) if any(f.key == key for f in run.findings)]
    assert len(flagged) == 1
    window = next_window(
        period,
        start + timedelta(days=flagged[0]),
        None if flagged[0] == 0 else start + timedelta(days=flagged[0] - 1),
    )
    assert window.contains(ring_position(key))
    assert runs[flagged[0]].findings[0].repair is RepairOutcome.REPAIRED


def test_audit_command_writes_json_and_text_reports(backed_up: tuple[Site, Site], tmp_path: Path) -> None:
    primary, backup = backed_up
    key = _segment(primary, rid="rec-b", n=2)
    backup.store.delete(key)
    path = tmp_path / "audit.json"
    result = run_archive(site_env(primary, backup), "audit", "--report", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = AuditReport.model_validate_json(path.read_text())
    assert [(f.site, f.key, f.status, f.repair) for f in report.findings] == [
        ("backup", key, FindingStatus.MISSING, RepairOutcome.REPAIRED)
    ]
    assert "fixity audit" in result.stdout and "CLEAN" in result.stdout and key in result.stdout
    assert "audit: 2/2 recordings (100%)" in result.stderr  # progress, on stderr
    assert json.loads(path.read_text())["audit_id"] == latest_audit_report(primary.store).audit_id  # type: ignore[union-attr]

    sampled = run_archive_main(site_env(primary, backup), "audit", "--sample-period", "7")
    assert sampled.returncode == 0, sampled.stderr
    assert "rotating sample" in sampled.stdout


def test_audit_command_fails_when_evidence_is_lost(backed_up: tuple[Site, Site]) -> None:
    primary, backup = backed_up
    key = _segment(primary)
    primary.store.delete(key)
    backup.store.delete(key)
    result = run_archive_main(site_env(primary, backup), "audit")
    assert result.returncode == 1
    assert "LOST EVIDENCE" in result.stdout and "no_good_copy" in result.stderr


def test_the_audit_is_clean_twice_in_a_row_on_an_unchanged_archive(backed_up: tuple[Site, Site]) -> None:
    """Issue 11 finding 9: the audit's own compliance records (its report record, WORM probe alarms)
    must not show up as missing at the backup on the next run."""
    primary, backup = backed_up
    env = site_env(primary, backup)
    first = run_archive_main(env, "audit")
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_archive_main(env, "audit")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "CLEAN" in second.stdout and "missing" not in second.stdout.lower(), second.stdout
    log = ComplianceLog(primary.store)
    last = [r for r in log.records() if r.type == ComplianceEvent.FIXITY_AUDIT][-1]
    assert last.line.fields["clean"] is True and last.line.fields["counts"] == {}, last.line.fields
