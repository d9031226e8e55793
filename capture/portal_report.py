"""Telling the portal about a recording: a report when it starts, after each checkpoint, and when it
stops; each carries the device id and the journal's latest signed checkpoint head, which the portal
keeps as the recording's anchor (``archive verify`` then refuses a journal cut back behind it).

Best effort and never in the recording's way: reports go from a background thread, a newer report
replaces one still waiting, a portal that is down is retried with capped backoff for a while, and a
report the portal refuses (wrong token, bad data) is logged once and dropped. The portal's scan of
the bucket indexes every recording anyway; a report only makes it visible at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from datetime import datetime

from archive.export import RecordingSummary
from capture.errors import CaptureError

logger = logging.getLogger(__name__)

REPORT_PATH = "/api/agent/recordings"
_BACKOFF_CAP = 30.0


class PortalReporter:
    """Sends :class:`archive.RecordingSummary` reports to a portal's ``/api/agent/recordings``."""

    def __init__(
        self, portal_url: str, token: str, *, retry_for: float = 600.0, timeout: float = 5.0
    ) -> None:
        if not portal_url.startswith(("http://", "https://")):
            raise CaptureError(f"the portal URL must start with http:// or https:// (got {portal_url!r})")
        self._url = portal_url.rstrip("/") + REPORT_PATH
        self._token = token
        self._retry_for = retry_for
        self._timeout = timeout
        self._pending: RecordingSummary | None = None
        self._busy = False
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="portal-report", daemon=True)
        self._thread.start()

    def report(self, summary: RecordingSummary) -> None:
        """Queue ``summary`` (replacing any report not yet sent); returns at once."""
        with self._changed:
            self._pending = summary
            self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until nothing is waiting or being sent; True if so."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._pending is not None or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def close(self) -> None:
        """Stop the sender (a report still waiting is dropped; the bucket scan will index it)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join(timeout=self._timeout + 1)

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._pending is None and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
                summary = self._pending
                if summary is None:
                    continue
                self._pending, self._busy = None, True
            try:
                self._deliver(summary)
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def _deliver(self, summary: RecordingSummary) -> None:
        give_up_at, delay = time.monotonic() + self._retry_for, 1.0
        while True:
            outcome = self._send_once(summary)
            if outcome is None:
                return
            if time.monotonic() + delay > give_up_at:
                logger.warning(
                    "portal report of %s not delivered (%s); the bucket scan will index it",
                    summary.recording_id,
                    outcome,
                )
                return
            with self._changed:  # wait, but let a newer report or close() cut the wait short
                self._changed.wait_for(lambda: self._closed or self._pending is not None, timeout=delay)
                if self._closed or self._pending is not None:
                    return
            delay = min(delay * 2, _BACKOFF_CAP)

    def _send_once(self, summary: RecordingSummary) -> str | None:
        """None when delivered or refused for good; else why a retry may help."""
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self._url,
            data=json.dumps(_body(summary)).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310 - scheme checked
                response.read()
            return None
        except urllib.error.HTTPError as exc:
            if exc.code in {408, 429} or exc.code >= 500:
                return f"HTTP {exc.code}"
            logger.error(
                "the portal refused the report of %s: HTTP %d %s (check COURTREC_PORTAL_URL and"
                " COURTREC_PORTAL_AGENT_TOKEN)",
                summary.recording_id,
                exc.code,
                exc.reason,
            )
            return None
        except (urllib.error.URLError, OSError) as exc:
            return str(getattr(exc, "reason", exc))


def _body(summary: RecordingSummary) -> dict[str, object]:
    body = asdict(summary)
    body.pop("prefix", None)
    if summary.checkpoint is None or not summary.device_id:
        body.pop("checkpoint", None)  # the head is anchored only with the device that signed it
    else:
        body["checkpoint"].pop("recording_id", None)
    body["streams"] = list(summary.streams)
    for key in ("started_at", "ended_at"):
        value = body[key]
        body[key] = value.isoformat() if isinstance(value, datetime) else None
    return body
