"""Retention and legal hold: the disposal rule, S3 Object Lock where the store enforces it, courtrec's own
enforcement everywhere, audited disposal, and storage pressure that deletes nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from archive.alarms import AlarmCollector, AlarmCondition
from archive.errors import ArchiveError, IntegrityError, ObjectConflictError, StoreAuthError
from archive.preservation.backup import Backup
from archive.preservation.compliance_log import ComplianceLog
from archive.preservation.compliance_records import (
    ComplianceAlarm,
    ComplianceEvent,
    Disposed,
    LegalHoldSet,
    RetentionAssigned,
)
from archive.preservation.verify import find_prefix, verify_recording
from archive.retention.disposal import dispose_expired
from archive.retention.keeper import RetentionKeeper
from archive.retention.policy import (
    DEFAULT_POLICIES,
    DisposalDecision,
    RetentionPolicy,
    RetentionState,
    decide_disposal,
    parse_policies,
)
from archive.store.lock_values import LockMode
from archive.store.sites import Site
from archive.store.storage_pressure import check_bucket_pressure
from archive.store.worm_probe import probe_worm

from .conftest import Golden, MakeSites, corrupt_in_place, run_archive, run_archive_main, seed, site_env

NOW = datetime(2040, 6, 1, tzinfo=UTC)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _state(until: datetime | None) -> RetentionState:
    return RetentionState("rec", "recordings/c/2000/01/01/rec", "case-1", "long-term", until)


@pytest.mark.parametrize(
    ("state", "held", "disposed", "expected"),
    [
        (_state(NOW - timedelta(days=1)), False, False, DisposalDecision.DISPOSE),
        (_state(NOW - timedelta(days=1)), True, False, DisposalDecision.KEEP_LEGAL_HOLD),
        (_state(NOW + timedelta(days=1)), False, False, DisposalDecision.KEEP_UNEXPIRED),
        (_state(NOW), False, False, DisposalDecision.DISPOSE),
        (_state(None), False, False, DisposalDecision.KEEP_PERMANENT),
        (None, False, False, DisposalDecision.KEEP_NO_RETENTION),
        (_state(NOW - timedelta(days=1)), False, True, DisposalDecision.ALREADY_DISPOSED),
    ],
)
def test_only_expired_unheld_recordings_may_be_disposed(
    state: RetentionState | None, held: bool, disposed: bool, expected: DisposalDecision
) -> None:
    assert decide_disposal(state, held=held, disposed=disposed, now=NOW) is expected


def test_policies_compute_retention_and_refuse_bad_input() -> None:
    policies = parse_policies(DEFAULT_POLICIES)
    start = datetime(2024, 2, 29, 10, tzinfo=UTC)
    assert policies["long-term"].retain_until(start) == datetime(2054, 2, 28, 10, tzinfo=UTC)
    assert policies["short-term"].retain_until(start) == datetime(2034, 2, 28, 10, tzinfo=UTC)
    assert policies["permanent"].retain_until(start) is None
    with pytest.raises(ArchiveError, match="'years' must be"):
        parse_policies({"bad": 0})
    with pytest.raises(ValueError, match="case_type"):
        RetentionPolicy("Not Valid", 3)
    with pytest.raises(ArchiveError, match="no retention policies"):
        parse_policies({})
    assert _state(None).is_longer_than(NOW) and not _state(NOW).is_longer_than(None)


def _keeper(sites: list[Site], *, probe: bool = True) -> RetentionKeeper:
    worm = {site.name: probe_worm(site.store, retention_seconds=30) for site in sites} if probe else {}
    return RetentionKeeper(sites, ComplianceLog(sites[0].store), parse_policies(DEFAULT_POLICIES), worm=worm)


@pytest.mark.integration
def test_retention_locks_every_copy_in_compliance_mode_and_cannot_be_shortened(
    sites: tuple[Site, Site],
) -> None:
    primary, backup = sites
    assert Backup(primary, backup).run_once().ok
    keeper = _keeper([primary, backup])
    assert [s.name for s in keeper.worm_sites()] == ["primary", "backup"]
    state = keeper.assign("rec-a", "long-term", actor="records-officer")
    assert state.retain_until is not None and state.retain_until > datetime.now(UTC) + timedelta(
        days=365 * 29
    )
    key = f"{find_prefix(primary.store, 'rec-a')}/cam/00000001.m4s"
    for site in (primary, backup):
        lock = site.store.object_lock()
        retention = lock.retention(key)
        assert retention is not None and retention.mode is LockMode.COMPLIANCE
        assert abs((retention.retain_until - state.retain_until).total_seconds()) < 1
        with pytest.raises(StoreAuthError):
            lock.delete_version(key, lock.current_version_id(key))  # the store itself refuses
    assert verify_recording(primary.store, "rec-a").intact
    with pytest.raises(ArchiveError, match="never shortened"):
        keeper.assign("rec-a", "short-term", actor="records-officer")
    assert (
        keeper.assign("rec-a", "permanent", actor="records-officer").retain_until is None
    )  # extending is fine
    records = keeper.log.records()
    assert [r.type for r in records] == [ComplianceEvent.RETENTION_ASSIGNED] * 2
    first = records[0].event
    assert isinstance(first, RetentionAssigned) and first.locked_sites == ("primary", "backup")


@pytest.mark.integration
def test_a_legal_hold_blocks_disposal_until_released_and_disposal_is_audited(
    sites: tuple[Site, Site],
) -> None:
    primary, backup = sites
    assert Backup(primary, backup).run_once().ok
    keeper = _keeper([primary, backup])
    keeper.assign("rec-a", "short-term", actor="records-officer", start=LONG_AGO)  # expired in 2010
    assert keeper.set_legal_hold("2026-civ-100", actor="judge", reason="appeal pending") == ["rec-a"]
    key = f"{find_prefix(primary.store, 'rec-a')}/cam/00000001.m4s"
    lock = primary.store.object_lock()
    assert lock.legal_hold(key)
    with pytest.raises(StoreAuthError):
        lock.delete_version(key, lock.current_version_id(key))  # the S3 hold, on top of ours

    held = dispose_expired(keeper, actor="courtrec-dispose")
    assert held.disposed == [] and held.kept["rec-a"] is DisposalDecision.KEEP_LEGAL_HOLD
    assert verify_recording(primary.store, "rec-a").intact and verify_recording(backup.store, "rec-a").intact

    prefix = find_prefix(primary.store, "rec-a")
    stored = {v.key for v in lock.versions(f"{prefix}/") if not v.is_delete_marker} | {
        "recordings-by-id/rec-a.json"
    }
    keeper.clear_legal_hold("2026-civ-100", actor="judge", reason="appeal decided")
    assert not lock.legal_hold(key)
    masked = _store_masked_copies(primary, "rec-a") | _store_masked_copies(primary, "rec-b")
    done = dispose_expired(keeper, actor="courtrec-dispose")
    assert done.disposed == ["rec-a"] and done.ok
    for site in (primary, backup):
        assert not [v for v in site.store.object_lock().versions("recordings/") if "/rec-a/" in v.key]
        assert site.store.stat("recordings-by-id/rec-a.json") is None
        assert verify_recording(site.store, "rec-b").intact  # never given a retention: kept
    assert done.kept["rec-b"] is DisposalDecision.KEEP_NO_RETENTION
    assert not list(lock.versions("replays-masked/rec-a/"))  # the masked replay went with it, every version
    assert {v.key for v in lock.versions("replays-masked/")} == {k for k in masked if "/rec-b/" in k}
    disposal = keeper.log.records()[-1]
    disposed = disposal.event
    assert isinstance(disposed, Disposed) and disposed.recording_id == "rec-a"
    assert disposal.actor == "courtrec-dispose" and len(disposed.merkle_root or "") == 64
    assert disposed.objects == len(stored) >= 5 and disposed.sites == ("primary", "backup")  # its keys
    assert disposed.derived_objects == 2
    assert [r.type for r in keeper.log.records()] == [
        ComplianceEvent.RETENTION_ASSIGNED,
        ComplianceEvent.LEGAL_HOLD_SET,
        ComplianceEvent.LEGAL_HOLD_CLEARED,
        ComplianceEvent.DISPOSED,
    ]
    assert dispose_expired(keeper, actor="courtrec-dispose").disposed == []  # nothing twice


def _store_masked_copies(site: Site, recording_id: str) -> set[str]:
    """A masked replay copy as the portal's masking job stores it (plain PUTs; the init replaced once,
    as a rerun does), in the Object Lock bucket of ``site``. Its keys."""
    keys = {f"replays-masked/{recording_id}/cam/{name}" for name in ("init.mp4", "00000001.m4s")}
    for key in sorted(keys):
        for body in (b"masked " + key.encode(), b"masked again " + key.encode()):
            try:
                site.store.put_bytes(key, body, hashlib.sha256(body).hexdigest())
            except ObjectConflictError:
                site.store.replace_bytes(key, body, hashlib.sha256(body).hexdigest())
    return keys


@pytest.mark.integration
def test_on_a_store_without_worm_courtrec_still_enforces_retention(
    make_sites: MakeSites, golden: Golden
) -> None:
    primary, backup = make_sites(object_lock=False)
    seed(primary, golden)
    keeper = _keeper([primary, backup])
    assert keeper.worm_sites() == []  # honestly reported: no store lock is claimed
    keeper.assign("rec-a", "long-term", actor="records-officer")
    keeper.assign("rec-b", "short-term", actor="records-officer", start=LONG_AGO)
    dry = dispose_expired(keeper, actor="courtrec-dispose", dry_run=True)
    assert dry.disposed == ["rec-b"] and verify_recording(primary.store, "rec-b").intact
    report = dispose_expired(keeper, actor="courtrec-dispose")
    assert report.disposed == ["rec-b"] and report.kept["rec-a"] is DisposalDecision.KEEP_UNEXPIRED
    assert verify_recording(primary.store, "rec-a").intact
    later = dispose_expired(
        keeper, actor="courtrec-dispose", now=datetime.now(UTC) + timedelta(days=365 * 31)
    )
    assert later.disposed == ["rec-a"]


@pytest.mark.integration
def test_retention_and_disposal_commands_and_storage_pressure(sites: tuple[Site, Site]) -> None:
    primary, backup = sites
    env = site_env(primary, backup)
    applied = run_archive(
        env,
        "retention",
        "apply",
        "--recording",
        "rec-b",
        "--case-type",
        "short-term",
        "--start",
        "2001-01-01T00:00:00+00:00",
        "--actor",
        "records-officer",
    )
    assert applied.returncode == 0, applied.stderr
    assert "WORM-capable" in applied.stdout and "until 2011-01-01" in applied.stdout
    assert (
        run_archive_main(
            env,
            "retention",
            "apply",
            "--recording",
            "rec-a",
            "--case-type",
            "long-term",
            "--actor",
            "records-officer",
        ).returncode
        == 0
    )
    held = run_archive_main(
        env, "legal-hold", "set", "--case", "2026-crim-200", "--reason", "retrial", "--actor", "judge"
    )
    assert held.returncode == 0 and "rec-b" in held.stdout

    pressed = run_archive_main(
        site_env(primary, backup, COURTREC_STORAGE_QUOTA_BYTES="1000"), "dispose", "--actor", "ops"
    )
    assert pressed.returncode == 1  # an alarm, and nothing deleted to make room
    assert (
        "storage_pressure" in pressed.stderr and "nothing whose retention runs is deleted" in pressed.stderr
    )
    assert "kept rec-a: keep: retention not expired" in pressed.stdout
    assert "kept rec-b: keep: its case is under legal hold" in pressed.stdout
    for rid in ("rec-a", "rec-b"):
        assert verify_recording(primary.store, rid).intact

    run_archive_main(
        env, "legal-hold", "clear", "--case", "2026-crim-200", "--reason", "acquitted", "--actor", "judge"
    )
    disposed = run_archive_main(env, "dispose", "--actor", "ops")
    assert disposed.returncode == 0, disposed.stdout + disposed.stderr
    assert "disposed of rec-b" in disposed.stdout
    shown = json.loads(run_archive_main(env, "retention", "show").stdout)
    assert shown["disposed"] == ["rec-b"] and shown["legal_holds"] == {}
    alarms = [r for r in ComplianceLog(primary.store).records() if r.type == ComplianceEvent.ALARM]
    assert [r.event.condition for r in alarms if isinstance(r.event, ComplianceAlarm)] == [
        AlarmCondition.STORAGE_PRESSURE
    ]


@pytest.mark.integration
def test_bucket_pressure_is_measured_with_every_version(sites: tuple[Site, Site], golden: Golden) -> None:
    primary, _ = sites
    collector = AlarmCollector()
    total = sum(len(data) for objects in golden.values() for data in objects.values())
    total += sum(o.size for o in primary.store.list_objects("_courtrec/"))  # the stores' own probes
    reading = check_bucket_pressure(primary, total * 10, alarm=collector)
    assert reading.used_bytes == total and collector.raised == []
    check_bucket_pressure(primary, total, alarm=collector)
    assert [a.condition for a in collector.raised] == [AlarmCondition.STORAGE_PRESSURE]


def _hold(case: str, reason: str) -> LegalHoldSet:
    return LegalHoldSet(case=case, reason=reason, recordings=(), locked_sites=())


@pytest.mark.integration
def test_a_tampered_compliance_log_is_refused(sites: tuple[Site, Site]) -> None:
    primary, _ = sites
    log = ComplianceLog(primary.store)
    for case in ("c-1", "c-2", "c-3"):
        log.append(_hold(case, "appeal"), actor="judge")
    assert len(log.records()) == 3
    corrupt_in_place(primary, "compliance-log/0000000001.jsonl")
    with pytest.raises(IntegrityError, match="compliance log is damaged"):
        log.records()
    with pytest.raises(IntegrityError):
        _keeper([primary], probe=False).book()  # so nothing is disposed on a damaged log
    with pytest.raises(ArchiveError, match="actor"):
        log.append(_hold("c-4", "x"), actor=" ")
