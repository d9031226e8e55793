"""The compliance report for court staff: page and JSON."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from portal.db import transaction
from portal.records.compliance import build_report
from portal.records.gap_explanations import GapsOf
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, StaffDep
from portal.web.templates import render

router = APIRouter(tags=["compliance"])

PROBLEM_NAMES = {
    "no recording": "没有录像",
    "recording incomplete or not archived": "录像不完整或未归档",
    "recording not verified": "录像尚未校验",
    "verification failed": "录像校验失败",
}
ALARM_NAMES = {
    "unknown_court": "录像所属法院不明",
    "court_mismatch": "录像日志与存储位置的法院不一致",
    "ambiguous": "录像可能属于多个案件或庭审，需人工关联",
    "conflicting_report": "后续上报与已登记的法院、法庭或案件不一致，未予采纳",
    "cross_court_link": "录像曾被关联到其他法院的案件",
}


class ComplianceOut(BaseModel):
    """The compliance report."""

    generated_at: datetime
    hearings_without_verified_recording: list[dict[str, Any]]
    failed_recordings: list[dict[str, Any]]
    recording_alarms: list[dict[str, Any]]
    device_alarms: list[dict[str, Any]] = []
    late_notices: list[dict[str, Any]]
    hearings_not_recording: list[dict[str, Any]] = []
    recording_gaps: list[dict[str, Any]] = []


@router.get("/api/compliance", response_model=ComplianceOut, summary="Compliance report")
def api_compliance(context: ContextDep, staff: StaffDep) -> ComplianceOut:
    """Hearings without a complete verified recording, failed verifications, late notices."""
    with transaction(context.sessions) as db:
        report = build_report(db, staff.actor, now=context.clock.now(), gaps_of=_gaps_of(context))
    return ComplianceOut(
        generated_at=report.generated_at,
        hearings_without_verified_recording=[asdict(g) for g in report.hearings_without_verified_recording],
        failed_recordings=[asdict(r) for r in report.failed_recordings],
        recording_alarms=[asdict(a) for a in report.recording_alarms],
        device_alarms=[asdict(a) for a in report.device_alarms],
        late_notices=[asdict(n) for n in report.late_notices],
        hearings_not_recording=[asdict(h) for h in report.hearings_not_recording],
        recording_gaps=[asdict(g) for g in report.recording_gaps],
    )


@router.get("/staff/compliance", response_class=HTMLResponse, summary="Compliance page")
def compliance_page(request: Request, context: ContextDep, staff: StaffDep) -> HTMLResponse:
    """The same report as a page."""
    with transaction(context.sessions) as db:
        report = build_report(db, staff.actor, now=context.clock.now(), gaps_of=_gaps_of(context))
    values = {"report": report, "problems": PROBLEM_NAMES, "alarms": ALARM_NAMES}
    return render(request, "compliance.html", values)


def _gaps_of(context: PortalContext) -> GapsOf:
    """A recording's gaps from its journal (through the playback cache)."""
    return lambda recording_id: context.tracks.get_loaded(recording_id)[1].gaps
