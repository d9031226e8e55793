"""Finding out, for real, whether a bucket is WORM: store a retained object, then try to destroy it.

S3 servers have shipped Object Lock that answered "success" and still let retained objects be deleted
(RELIABILITY.md §0.7: SeaweedFS #7194, RustFS #1509), so the archive never assumes protection: it
probes each store at start-up and claims WORM only for a bucket that passed every required check:

* ``bucket-object-lock``: the bucket was created with Object Lock (and so keeps versions);
* ``retention-set``: a COMPLIANCE retention on a fresh object reads back as set;
* ``plain-delete-keeps-version``: a DELETE without version id leaves the retained version readable;
* ``version-delete-refused`` / ``batch-delete-refused``: deleting that version, singly or in a
  multi-object DELETE, leaves it readable with the same SHA-256;
* ``overwrite-keeps-version``: a PUT of other bytes to the key leaves the retained version intact;
* ``shorten-refused``: the COMPLIANCE retention cannot be shortened;
* ``legal-hold-blocks-delete``: a version under legal hold cannot be deleted.

Informational (reported, not required, since evidence uses COMPLIANCE only): whether GOVERNANCE
retention refuses a delete without the bypass header, whether this credential can bypass it, and
whether releasing a legal hold allows the deletion again. Probe objects live under
``_courtrec/worm-probe/`` with a short retention; each probe deletes the expired ones of earlier runs.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError, StoreUnavailableError
from archive.formats.hashing import sha256_bytes
from archive.store.lock_values import LockMode

if TYPE_CHECKING:
    from archive.store.object_lock import ObjectLock
    from archive.store.object_store import ObjectStore

logger = logging.getLogger(__name__)

PROBE_PREFIX = "_courtrec/worm-probe/"


@dataclass(frozen=True, slots=True)
class WormCheck:
    """One probe step: did the store behave as a WORM store must (``passed``), and what it did."""

    name: str
    passed: bool
    detail: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class WormReport:
    """The outcome of probing one bucket; ``capable`` only when every required check passed."""

    endpoint: str
    bucket: str
    checked_at: datetime
    checks: tuple[WormCheck, ...] = field(default=())

    @property
    def capable(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks if check.required)

    def summary(self) -> str:
        """One line: the verdict and, when not capable, the first failed required check."""
        where = f"{self.endpoint}/{self.bucket}"
        if self.capable:
            return f"{where}: WORM-capable (Object Lock enforced in COMPLIANCE mode, legal hold enforced)"
        failed = next((c for c in self.checks if c.required and not c.passed), None)
        reason = f"{failed.name}: {failed.detail}" if failed else "not probed"
        return f"{where}: NOT WORM-capable ({reason}); retention is enforced by courtrec only"

    def lines(self) -> list[str]:
        """The summary followed by one line per check."""
        marks = {True: "ok  ", False: "FAIL"}
        return [self.summary()] + [
            f"  [{marks[c.passed] if c.required else 'info'}] {c.name}: {c.detail}" for c in self.checks
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "endpoint": self.endpoint,
            "bucket": self.bucket,
            "checked_at": self.checked_at.isoformat(),
            "capable": self.capable,
            "checks": [
                {"name": c.name, "passed": c.passed, "required": c.required, "detail": c.detail}
                for c in self.checks
            ],
        }


def probe_worm(store: ObjectStore, *, retention_seconds: float = 120.0) -> WormReport:
    """Probe ``store``'s bucket; see the module docstring for the checks.

    Leaves up to three small objects under ``_courtrec/worm-probe/`` (retained for
    ``retention_seconds``, at least 30). Raises StoreUnavailableError when the store cannot be reached;
    every refusal by the store is an outcome, not an error.
    """
    if retention_seconds < 30:
        raise ValueError(f"'retention_seconds' must be >= 30 (got {retention_seconds})")
    probe = _Probe(store, timedelta(seconds=retention_seconds))
    probe.run()
    report = WormReport(store.config.endpoint, store.config.bucket, datetime.now(UTC), tuple(probe.checks))
    logger.info("WORM probe: %s", report.summary())
    return report


class _Probe:
    def __init__(self, store: ObjectStore, retention: timedelta) -> None:
        self._store = store
        self._lock: ObjectLock = store.object_lock()
        self._retention = retention
        self._base = f"{PROBE_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:12]}/"
        self.checks: list[WormCheck] = []

    def _check(self, name: str, passed: bool, detail: str, *, required: bool = True) -> bool:
        self.checks.append(WormCheck(name, passed, detail, required))
        return passed

    def run(self) -> None:
        lock_on = self._lock.bucket_lock_enabled() and self._lock.versioning_enabled()
        detail = "enabled, versioning on" if lock_on else "bucket has no Object Lock (cannot be added later)"
        if not self._check("bucket-object-lock", lock_on, detail):
            return
        self._remove_expired_probes()
        retained = self._put_retained()
        if retained is None:
            return
        key, version, digest, until = retained
        self._try_plain_delete(key, version, digest)
        self._try_version_delete(key, version, digest)
        self._try_batch_delete(key, version, digest)
        self._try_overwrite(key, version, digest)
        self._try_shorten(key, version, until)
        if datetime.now(UTC) >= until:
            self._check("probe-in-time", False, "the probe outlasted its own retention; inconclusive")
        self._try_legal_hold()
        self._try_governance()

    def _new_object(self, name: str) -> tuple[str, str | None, str]:
        key = f"{self._base}{name}"
        data = f"courtrec WORM probe {key} {datetime.now(UTC).isoformat()}".encode()
        digest = sha256_bytes(data)
        self._store.put_bytes(key, data, digest, content_type="text/plain")
        return key, self._lock.current_version_id(key), digest

    def _put_retained(self) -> tuple[str, str | None, str, datetime] | None:
        key, version, digest = self._new_object("retained")
        until = (datetime.now(UTC) + self._retention).replace(microsecond=0)
        try:
            self._lock.set_retention(key, LockMode.COMPLIANCE, until, version_id=version)
            found = self._lock.retention(key, version_id=version)
        except StoreUnavailableError:
            raise
        except ArchiveError as exc:
            self._check("retention-set", False, f"the store refused COMPLIANCE retention: {exc}")
            return None
        ok = (
            found is not None
            and found.mode is LockMode.COMPLIANCE
            and abs((found.retain_until - until).total_seconds()) < 1
        )
        shown = "none" if found is None else f"{found.mode} until {found.retain_until.isoformat()}"
        self._check("retention-set", ok, f"set COMPLIANCE until {until.isoformat()}, read back {shown}")
        return (key, version, digest, until) if ok else None

    def _survives(self, key: str, version: str | None, digest: str) -> tuple[bool, str]:
        if version is None:
            return False, "the store reports no version id"
        found = self._lock.sha256_of_version(key, version)
        if found is None:
            return False, "the retained version is GONE"
        if found != digest:
            return False, "the retained version's bytes CHANGED"
        return True, "the retained version is intact"

    def _attempt(self, action: Callable[[], object]) -> str:
        """Run one destructive attempt; a refusal by the store is an answer, an outage is an error."""
        try:
            action()
        except StoreUnavailableError:
            raise
        except ArchiveError as exc:
            return f"refused ({type(exc).__name__})"
        return "answered success"

    def _try_plain_delete(self, key: str, version: str | None, digest: str) -> None:
        answer = self._attempt(lambda: self._store.delete(key))
        kept, state = self._survives(key, version, digest)
        self._check("plain-delete-keeps-version", kept, f"DELETE without version id {answer}; {state}")

    def _try_version_delete(self, key: str, version: str | None, digest: str) -> None:
        answer = self._attempt(lambda: self._lock.delete_version(key, version))
        kept, state = self._survives(key, version, digest)
        self._check("version-delete-refused", kept, f"DELETE of the retained version {answer}; {state}")

    def _try_batch_delete(self, key: str, version: str | None, digest: str) -> None:
        errors: list[str] = []
        answer = self._attempt(lambda: errors.extend(self._lock.delete_versions_batch([(key, version)])))
        answer = f"refused ({errors[0]})" if errors else answer
        kept, state = self._survives(key, version, digest)
        self._check("batch-delete-refused", kept, f"multi-object DELETE {answer}; {state}")

    def _try_overwrite(self, key: str, version: str | None, digest: str) -> None:
        other = b"courtrec WORM probe: overwrite attempt"
        answer = self._attempt(lambda: self._store.replace_bytes(key, other, sha256_bytes(other)))
        kept, state = self._survives(key, version, digest)
        self._check("overwrite-keeps-version", kept, f"PUT of other bytes {answer}; {state}")

    def _try_shorten(self, key: str, version: str | None, until: datetime) -> None:
        earlier = datetime.now(UTC) + (until - datetime.now(UTC)) / 2
        answer = self._attempt(
            lambda: self._lock.set_retention(key, LockMode.COMPLIANCE, earlier, version_id=version)
        )
        found = self._lock.retention(key, version_id=version)
        kept = found is not None and abs((found.retain_until - until).total_seconds()) < 1
        shown = "none" if found is None else found.retain_until.isoformat()
        self._check("shorten-refused", kept, f"shortening COMPLIANCE retention {answer}; now until {shown}")

    def _try_legal_hold(self) -> None:
        key, version, digest = self._new_object("held")
        answer = self._attempt(lambda: self._lock.set_legal_hold(key, True, version_id=version))
        held = answer == "answered success" and self._lock.legal_hold(key, version_id=version)
        if not held:
            self._check("legal-hold-blocks-delete", False, f"setting a legal hold {answer}; not in effect")
            return
        answer = self._attempt(lambda: self._lock.delete_version(key, version))
        kept, state = self._survives(key, version, digest)
        self._check("legal-hold-blocks-delete", kept, f"DELETE of a held version {answer}; {state}")
        self._lock.set_legal_hold(key, False, version_id=version)
        answer = self._attempt(lambda: self._lock.delete_version(key, version))
        gone, _ = self._survives(key, version, digest)
        self._check(
            "legal-hold-release", not gone, f"after releasing the hold, DELETE {answer}", required=False
        )

    def _try_governance(self) -> None:
        key, version, digest = self._new_object("governance")
        until = datetime.now(UTC) + self._retention
        self._lock.set_retention(key, LockMode.GOVERNANCE, until, version_id=version)
        answer = self._attempt(lambda: self._lock.delete_version(key, version))
        kept, state = self._survives(key, version, digest)
        self._check(
            "governance-refused-without-bypass",
            kept,
            f"DELETE without the bypass header {answer}; {state}",
            required=False,
        )
        answer = self._attempt(lambda: self._lock.delete_version(key, version, bypass_governance=True))
        kept, state = self._survives(key, version, digest)
        verdict = "cannot bypass" if kept else "CAN bypass GOVERNANCE (evidence must use COMPLIANCE)"
        self._check(
            "governance-bypass",
            kept,
            f"DELETE with the bypass header {answer}; this credential {verdict}",
            required=False,
        )

    def _remove_expired_probes(self) -> None:
        """Delete versions left by earlier probes whose retention has run out (refusals are normal)."""
        for version in list(self._lock.versions(PROBE_PREFIX)):
            self._attempt(functools.partial(self._lock.delete_version, version.key, version.version_id))
