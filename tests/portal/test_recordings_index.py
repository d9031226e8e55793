"""The recordings index: agent reports, reconciliation with the bucket, verification, compliance."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from archive.preservation import VerifyReport
from portal.db import transaction
from portal.models import Hearing, Recording
from portal.records.reconciler import reconcile_now
from portal.records.recordings_index import record_verification
from tests.portal.conftest import AGENT_TOKEN, Portal
from tests.portal.world import REC_A, REC_B

REPORT = {
    "recording_id": "rec-reported",
    "court": "court-a",
    "room": "room-a",
    "case": "case-a",
    "streams": ["cam-1"],
    "segment_count": 10,
    "duration_seconds": 60.0,
    "started_at": "2026-03-01T01:00:00+00:00",
    "complete": True,
}


def test_agent_report_needs_the_bearer_token(portal: Portal) -> None:
    anon = portal.client()
    assert anon.post("/api/agent/recordings", json=REPORT).status_code == 401
    wrong = anon.post("/api/agent/recordings", json=REPORT, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = anon.post("/api/agent/recordings", json=REPORT, headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["case_id"] == portal.world.case_a and body["in_bucket"] is False
    assert body["verification"] == "unverified"


def test_reconcile_indexes_the_bucket_and_flags_reports_not_in_it(portal: Portal) -> None:
    portal.client().post(
        "/api/agent/recordings", json=REPORT, headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
    )
    operator = portal.staff("operator-a")
    assert portal.staff("clerk-a").post("/api/recordings/reconcile").status_code == 403
    counts = operator.post("/api/recordings/reconcile")
    assert counts.status_code == 200, counts.text
    assert counts.json()["reported_not_in_bucket"] == 1
    recording = operator.get(f"/api/recordings/{REC_A}").json()
    assert recording["in_bucket"] and recording["complete"] and recording["case_id"] == portal.world.case_a
    # the synthetic camera with sound: two CMAF track files, its pictures and its sound
    assert recording["streams"] == ["synthetic-1", "synthetic-1.audio"] and recording["segment_count"] >= 6
    assert 5.5 <= recording["duration_seconds"] <= 7


def test_reconcile_reports_its_progress_per_recording(portal: Portal) -> None:
    steps: list[tuple[int, int]] = []
    reconcile_now(
        portal.app.state.portal, "test", on_progress=lambda done, total: steps.append((done, total))
    )
    assert steps and steps[-1][0] == steps[-1][1] == len(steps)  # every recording in the bucket, then done


def test_verify_runs_archive_verification(portal: Portal) -> None:
    operator = portal.staff("operator-a")
    verified = operator.post(f"/api/recordings/{REC_A}/verify")
    assert verified.status_code == 200, verified.text
    assert verified.json()["verification"] == "intact"
    assert portal.staff("operator-a").post(f"/api/recordings/{REC_B}/verify").status_code == 404  # court B


def test_recording_links_to_the_hearing_in_its_courtroom(portal: Portal) -> None:
    with transaction(portal.db_factory) as db:
        recording = db.get(Recording, REC_A)
        assert recording is not None and recording.started_at is not None
        hearing = Hearing(
            case_id=portal.world.case_a,
            courtroom_id=portal.world.room_a,
            starts_at=recording.started_at - timedelta(minutes=5),
            expected_end_at=recording.started_at + timedelta(hours=1),
            is_public=True,
            created_by=portal.world.users["clerk-a"],
            created_at=recording.started_at,
        )
        db.add(hearing)
        db.flush()
        hearing_id = hearing.id
    portal.clock.advance(timedelta(minutes=10))
    assert portal.staff("operator-a").post("/api/recordings/reconcile").status_code == 200
    assert portal.staff("operator-a").get(f"/api/recordings/{REC_A}").json()["hearing_id"] == hearing_id


def test_compliance_report(portal: Portal) -> None:
    clerk = portal.staff("clerk-a")
    portal.clock.advance(timedelta(days=6))  # hearing A is over; it has no recording
    clerk = portal.staff("clerk-a")
    report = clerk.get("/api/compliance").json()
    gaps = report["hearings_without_verified_recording"]
    assert [g["hearing_id"] for g in gaps] == [portal.world.hearing_a] and gaps[0][
        "problem"
    ] == "no recording"
    with transaction(portal.db_factory) as db:
        recording = db.get(Recording, REC_A)
        assert recording is not None
        recording.hearing_id = portal.world.hearing_a
        failed = VerifyReport(recording_id=REC_A, problems=["synthetic-1/00000002.m4s: SHA-256 mismatch"])
        record_verification(db, failed, now=portal.clock.now(), actor="test")
    report = clerk.get("/api/compliance").json()
    assert report["hearings_without_verified_recording"][0]["problem"] == "verification failed"
    assert [r["recording_id"] for r in report["failed_recordings"]] == [REC_A]
    assert "SHA-256 mismatch" in clerk.get("/staff/compliance").text
    assert portal.staff("clerk-b").get("/api/compliance").json()["failed_recordings"] == []
    assert (
        portal.staff("operator-a").post(f"/api/recordings/{REC_A}/verify").json()["verification"] == "intact"
    )
    report = clerk.get("/api/compliance").json()
    assert report["hearings_without_verified_recording"] == [] and report["failed_recordings"] == []
    with portal.db_factory() as db:
        assert db.scalar(select(Recording.verification).where(Recording.id == REC_A)) == "intact"
