"""Audit of anonymous public viewing (庭审直播 and 回放): one record per viewer per hearing per window.

A record is made when a viewing session starts (the live page or a replay's master playlist is
served), never per segment. It holds the hearing, the kind (``live`` or ``replay``), the viewer as a
keyed hash of the client address (HMAC-SHA256 under a key derived from the portal's secret, so the
log never holds an address and nobody without the secret can test an address against it), the
browser family and the time. A viewer who reloads within ``window`` of their last record adds
nothing. The memory of who was seen is per process and bounded (least recently seen forgotten
first), so several processes or a restart may add one more record for the same viewer.

Writing goes through the group-commit batcher. If the audit log cannot be written the view is still
served (the public's access to an open hearing does not wait on the log), the failure is logged, and
the viewer is not marked as seen, so their next request tries again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from portal.audit.batcher import AuditBatcher
from portal.audit.trail import AuditAction, AuditEntry
from portal.errors import AuditUnavailableError

logger = logging.getLogger(__name__)

PUBLIC_ACTOR = "public"
_KEY_CONTEXT = b"courtrec-public-viewer:"  # separates this key from every other use of the secret
# the first family whose pattern matches names the browser (order matters: Edge says Chrome too)
_FAMILIES = (
    ("微信", re.compile(r"MicroMessenger", re.I)),
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
    ("curl", re.compile(r"^curl/")),
)


class ViewKind(StrEnum):
    """What the public watched."""

    LIVE = "live"
    REPLAY = "replay"


def agent_family(user_agent: str) -> str:
    """The browser family of a User-Agent (``Chrome``, ``Safari``, ``微信`` …; ``其他`` when unknown),
    with ``/手机`` for a phone or tablet. Never the whole header (it can identify a person)."""
    family = next((name for name, pattern in _FAMILIES if pattern.search(user_agent)), "其他")
    mobile = re.search(r"Mobile|Android|iPhone|iPad", user_agent) is not None
    return f"{family}/手机" if mobile else family


class PublicViewLog:
    """Audits public views through ``batcher``; see the module docstring."""

    def __init__(
        self,
        batcher: AuditBatcher,
        secret: str,
        now: Callable[[], datetime],
        *,
        window: timedelta,
        max_viewers: int = 100_000,
    ) -> None:
        if window <= timedelta(0) or max_viewers < 1:
            raise ValueError(f"need window > 0 and max_viewers >= 1 (got {window}, {max_viewers})")
        self._batcher = batcher
        self._key = hashlib.sha256(_KEY_CONTEXT + secret.encode()).digest()
        self._now = now
        self._window = window
        self._max_viewers = max_viewers
        self._seen: OrderedDict[tuple[int, ViewKind, str], datetime] = OrderedDict()
        self._lock = threading.Lock()

    def viewer_of(self, ip: str) -> str:
        """The viewer's pseudonym: 32 hex digits of the keyed hash of the client address."""
        return hmac.new(self._key, ip.encode(), hashlib.sha256).hexdigest()[:32]

    async def viewed(
        self, hearing_id: int, kind: ViewKind, *, ip: str, user_agent: str, notice_id: int
    ) -> bool:
        """Audit that this viewer started watching ``hearing_id`` unless they did within the window.

        True when a record was written; False for a repeat within the window or when the log failed.
        """
        viewer, at = self.viewer_of(ip), self._now()
        seen_key = (hearing_id, kind, viewer)
        if not self._first_in_window(seen_key, at):
            return False
        detail: dict[str, str | int] = {
            "kind": kind.value,
            "viewer": viewer,
            "agent": agent_family(user_agent),
            "notice": notice_id,
        }
        entry = AuditEntry(PUBLIC_ACTOR, AuditAction.PUBLIC_VIEWED, f"hearing:{hearing_id}", detail=detail)
        try:
            await self._batcher.record(entry, at=at)
        except AuditUnavailableError as exc:
            with self._lock:
                self._seen.pop(seen_key, None)
            logger.error("a public %s view of hearing %d was served unaudited: %s", kind, hearing_id, exc)
            return False
        return True

    def _first_in_window(self, seen_key: tuple[int, ViewKind, str], at: datetime) -> bool:
        """Mark ``seen_key`` as seen at ``at`` unless it was within the window (then False)."""
        with self._lock:
            last = self._seen.get(seen_key)
            if last is not None and timedelta(0) <= at - last < self._window:
                self._seen.move_to_end(seen_key)
                return False
            self._seen[seen_key] = at
            self._seen.move_to_end(seen_key)
            while len(self._seen) > self._max_viewers:
                self._seen.popitem(last=False)
            return True
