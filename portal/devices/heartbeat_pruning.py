"""Pruning the heartbeat history (issue 15): a device reports every few seconds, so its history
would grow without end. Heartbeats older than ``portal_heartbeat_keep_days`` go, except:

- each device's latest heartbeat (what the fleet pages show when it has been silent for long);
- the first heartbeat naming each recording a device made (it links the recording to the device
  for enforcement actions, beside the checkpoint heads signed with the device's key).

Older coverage of enforcement actions then rests on the recordings themselves, which is what the
coverage rule judges once they are indexed. Expired nonces of signed requests go in the same pass.
Each pass that deletes anything is audited with the count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.clock import Clock
from portal.db import transaction
from portal.errors import PortalError
from portal.models import DeviceHeartbeat, DeviceRequestNonce

logger = logging.getLogger(__name__)

PRUNE_INTERVAL_SECONDS = 3600.0


def prune_heartbeats(db: Session, *, now: datetime, keep: timedelta) -> int:
    """Delete heartbeats received before ``now - keep`` but those kept (see module); returns how many
    went (audited when any did). Expired request nonces are deleted too."""
    latest = select(func.max(DeviceHeartbeat.id)).group_by(DeviceHeartbeat.device_id)
    first_of_recording = (
        select(func.min(DeviceHeartbeat.id))
        .where(DeviceHeartbeat.recording_id.is_not(None))
        .group_by(DeviceHeartbeat.device_id, DeviceHeartbeat.recording_id)
    )
    kept = {*db.scalars(latest), *db.scalars(first_of_recording)}
    old = select(DeviceHeartbeat.id).where(DeviceHeartbeat.received_at < now - keep)
    doomed = [row_id for row_id in db.scalars(old) if row_id not in kept]
    for start in range(0, len(doomed), 500):
        db.execute(delete(DeviceHeartbeat).where(DeviceHeartbeat.id.in_(doomed[start : start + 500])))
    db.execute(delete(DeviceRequestNonce).where(DeviceRequestNonce.expires_at < now))
    if doomed:
        detail: dict[str, str | int] = {"deleted": len(doomed), "older_than": (now - keep).isoformat()}
        entry = AuditEntry(
            "portal:pruner", AuditAction.DEVICE_HEARTBEATS_PRUNED, "device_heartbeats", detail=detail
        )
        append(db, entry, at=now)
    return len(doomed)


class HeartbeatPruner:
    """Runs :func:`prune_heartbeats` now and every ``interval`` seconds on the running event loop
    (the database work in a thread), until :meth:`aclose`."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        keep: timedelta,
        interval: float = PRUNE_INTERVAL_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._keep = keep
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def prune_now(self) -> int:
        with transaction(self._sessions) as db:
            return prune_heartbeats(db, now=self._clock.now(), keep=self._keep)

    async def _run(self) -> None:
        while True:
            try:
                deleted = await asyncio.to_thread(self.prune_now)
                if deleted:
                    logger.info("pruned %d device heartbeats older than %s", deleted, self._keep)
            except PortalError as exc:
                logger.warning("pruning device heartbeats failed: %s", exc)
            except Exception:  # supervisor top level: log, try again next pass
                logger.exception("pruning device heartbeats crashed; retrying in %.0f s", self._interval)
            self.passes += 1
            await asyncio.sleep(self._interval)
