"""Fixity audit reports: the JSON the portal's compliance page reads, and the text people read.

Each audit stores its report as an immutable object ``audit-reports/{started}Z-{id}.json`` in the
primary bucket (or, when the primary is down, the first reachable site); :func:`latest_audit_report`
returns the newest one. The JSON is this module's pydantic model, versioned by ``format``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from archive.errors import ObjectNotFoundError
from archive.formats.hashing import sha256_bytes

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore

REPORT_PREFIX = "audit-reports/"


class FindingStatus(StrEnum):
    """What was wrong with one copy (or one site, or one recording)."""

    MISSING = "missing"
    CORRUPT = "corrupt"  # readable, but its SHA-256 is not the journal's
    UNREADABLE = "unreadable"  # the store answers, but fails to return the object (e.g. its own CRC check)
    SITE_UNAVAILABLE = "site_unavailable"
    JOURNAL_UNTRUSTED = "journal_untrusted"  # no site holds a journal that passes chain and signatures


class RepairOutcome(StrEnum):
    """What the audit did about a finding."""

    REPAIRED = "repaired"  # rewritten from a good copy and re-verified by a full re-read
    FAILED = "failed"
    NO_GOOD_COPY = "no_good_copy"  # critical: no site holds a copy matching the journal
    NOT_ATTEMPTED = "not_attempted"  # the site is unreachable or there is nothing to repair from


class AuditFinding(BaseModel):
    """One problem found: where, what, and what was done about it."""

    model_config = ConfigDict(frozen=True)

    site: str
    recording_id: str
    key: str
    status: FindingStatus
    expected_sha256: str | None = None
    actual_sha256: str | None = None
    detail: str = ""
    repair: RepairOutcome = RepairOutcome.NOT_ATTEMPTED
    repaired_from: str | None = None


class SampleInfo(BaseModel):
    """The ring arc a sampled run covered (see :mod:`archive.preservation.audit_sampling`)."""

    model_config = ConfigDict(frozen=True)

    period_seconds: float
    start: float
    end: float
    full: bool


class AuditReport(BaseModel):
    """The outcome of one fixity audit run."""

    model_config = ConfigDict(frozen=True)

    format: int = 1
    audit_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime
    finished_at: datetime
    sites: list[str]
    sample: SampleInfo | None = None  # None: every object was re-hashed
    recordings: int = 0
    objects_expected: int = 0
    objects_sampled: int = 0
    copies_hashed: int = 0
    bytes_hashed: int = 0
    findings: list[AuditFinding] = Field(default_factory=list)
    alarms: list[str] = Field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when every copy checked was good, or was repaired and re-verified."""
        return all(f.repair is RepairOutcome.REPAIRED for f in self.findings)

    @property
    def lost(self) -> list[AuditFinding]:
        """Findings for which no good copy is left anywhere."""
        return [f for f in self.findings if f.repair is RepairOutcome.NO_GOOD_COPY]

    def counts(self) -> dict[str, int]:
        """Findings by status and by repair outcome."""
        out: dict[str, int] = {}
        for finding in self.findings:
            for name in (str(finding.status), f"repair_{finding.repair}"):
                out[name] = out.get(name, 0) + 1
        return out

    def seconds(self) -> float:
        return max((self.finished_at - self.started_at).total_seconds(), 1e-9)


def render_text(report: AuditReport) -> str:
    """The report for people: a verdict, the scope, throughput, and one line per finding."""
    verdict = "CLEAN" if report.clean else ("LOST EVIDENCE" if report.lost else "PROBLEMS REMAIN")
    scope = "every object" if report.sample is None else _scope(report.sample)
    rate = report.bytes_hashed / 1e6 / report.seconds()
    lines = [
        f"fixity audit {report.audit_id}: {verdict}",
        f"  started {report.started_at.isoformat()}, took {report.seconds():.1f} s",
        f"  sites: {', '.join(report.sites)}",
        f"  scope: {scope}; {report.recordings} recordings, {report.objects_expected} objects expected,"
        f" {report.objects_sampled} sampled",
        f"  re-hashed {report.copies_hashed} copies, {report.bytes_hashed / 1e6:.1f} MB ({rate:.1f} MB/s)",
    ]
    if report.findings:
        lines.append(f"  findings ({', '.join(f'{k}={v}' for k, v in sorted(report.counts().items()))}):")
    for f in report.findings:
        source = f" from {f.repaired_from}" if f.repaired_from else ""
        lines.append(f"    {f.site}: {f.key or f.recording_id}: {f.status}; repair {f.repair}{source}")
        if f.detail:
            lines.append(f"      {f.detail}")
    lines += [f"  ALARM {alarm}" for alarm in report.alarms]
    return "\n".join(lines)


def _scope(sample: SampleInfo) -> str:
    days = sample.period_seconds / 86400
    if sample.full:
        return f"full ring (rotating sample, period {days:g} days)"
    share = (sample.end - sample.start) % 1.0
    arc = f"[{sample.start:.4f}, {sample.end:.4f})"
    return f"rotating sample, {share:.1%} of the ring {arc}, period {days:g} days"


def save_report(store: ObjectStore, report: AuditReport) -> tuple[str, str]:
    """Store ``report`` as a new immutable object; returns (key, hex SHA-256 of its bytes)."""
    body = report.model_dump_json(indent=2).encode()
    key = f"{REPORT_PREFIX}{report.started_at:%Y%m%dT%H%M%S%f}Z-{report.audit_id}.json"
    digest = sha256_bytes(body)
    store.put_bytes(key, body, digest, content_type="application/json")
    return key, digest


def latest_audit_report(store: ObjectStore) -> AuditReport | None:
    """The newest audit report in ``store``'s bucket, or None when there is none (for the portal).

    Raises StoreUnavailableError / StoreAuthError; IntegrityError when the report object is damaged;
    pydantic.ValidationError when it is not a report.
    """
    keys = sorted(o.key for o in store.list_objects(REPORT_PREFIX) if o.key.endswith(".json"))
    for key in reversed(keys):
        try:
            return AuditReport.model_validate_json(store.read_bytes(key))
        except ObjectNotFoundError:
            continue  # removed between listing and reading
    return None
