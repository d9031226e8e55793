"""The portal's public-broadcast scheduler: keeps the live server's public broadcasts equal to what the
hearing schedule says (``broadcast_schedule.due_broadcasts``), and carries the clerk's cut and resume.

Every pass (:meth:`BroadcastScheduler.reconcile`, every ``portal_broadcast_check_seconds`` from the app's
lifespan, and at once after a clerk cancels or changes a hearing) closes each broadcast that is not
due — including any the portal did not open itself — and opens each due one with the configured delay,
masking faces when its hearing asks for it (a change of that flag reopens the broadcast). Every open,
close, cut and resume is written to the audit log (by the audit batcher). Ordering follows "withhold
first": a close or cut is done before its record is written, an open or resume only after its record
is committed.

While the courtroom's recorder reports a sealed span open, the room's broadcast is cut (audited as the
system's, reason 封存; a clerk cannot resume it then); when the seal ends it is resumed, unless a clerk
had cut it. The seal is stored with the room's state (``room_states.sealed``, written in the room-state
report's transaction) and that stored value is the only one the scheduler goes by: each pass (the
first one at start too) reads it, so a restarted portal keeps the broadcast cut with no new report, and
a recorder silent while sealed leaves it cut (deny by default) until it reports the seal ended. A
report that changes the seal is followed by a pass at once (:meth:`BroadcastScheduler.room_sealed`).

Runs on the portal's event loop (the live service's loop when it is mounted in this process); database
reads go to a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.audit.trail import AuditAction, AuditEntry, JsonValue
from portal.broadcasting.control import BroadcastControl
from portal.broadcasting.schedule import (
    SEALED_SPAN_ACTOR,
    DueBroadcast,
    cut_by_clerk,
    due_broadcasts,
    hearing_target,
    sealed_rooms,
)
from portal.errors import NotFoundError, PortalError, RuleViolationError
from portal.web.context import PortalContext

logger = logging.getLogger(__name__)

SCHEDULER_ACTOR = "portal:broadcast-scheduler"
_RETRY_AFTER = timedelta(minutes=1)  # a broadcast that failed to open is tried again (and audited) this often
SEALED_REASON = "封存"
SEAL_ENDED_REASON = "封存结束"


@dataclass(frozen=True, slots=True)
class OnAir:
    """A hearing the portal has on air now."""

    hearing_id: int
    notice_id: int
    court_id: int
    feed_id: str
    opened_at: datetime
    masked: bool = False
    courtroom_id: int = 0


class BroadcastScheduler:
    """Opens and closes public broadcasts by the hearing schedule; the clerk's cut and resume."""

    def __init__(self, context: PortalContext, control: BroadcastControl) -> None:
        settings = context.settings
        self.control = control
        self._context = context
        self._delay = settings.portal_broadcast_delay_seconds
        self._grace = timedelta(minutes=settings.portal_broadcast_grace_minutes)
        self._stream = settings.portal_broadcast_stream
        self._sound_stream = settings.portal_broadcast_sound_stream
        self._interval = settings.portal_broadcast_check_seconds
        self._on_air: dict[str, OnAir] = {}
        self._failed: dict[tuple[str, int], datetime] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sealed_stored: frozenset[int] = frozenset()  # rooms stored as sealed, read at each pass
        self._sealed_lock = threading.Lock()  # room_sealed is called from request worker threads
        self._cut_for_seal: set[str] = set()  # feeds this scheduler cut for a sealed span

    def on_air(self) -> list[OnAir]:
        """The hearings on air now, by feed id."""
        return sorted(tuple(self._on_air.values()), key=lambda item: item.feed_id)

    def of_hearing(self, hearing_id: int) -> OnAir | None:
        """The broadcast of ``hearing_id`` if it is on air now."""
        # a snapshot: page rendering reads this from worker threads while a pass may change it
        return next((item for item in tuple(self._on_air.values()) if item.hearing_id == hearing_id), None)

    def room_sealed(self, courtroom_id: int, sealed: bool) -> None:
        """The courtroom's recorder reported (and the report's transaction stored) whether a sealed
        span is open; when that differs from what the last pass read, a pass follows at once and
        reads it (thread-safe: called from the room-state report's worker thread)."""
        if sealed != self.is_sealed(courtroom_id):
            loop = self._loop
            if loop is not None and not loop.is_closed():
                asyncio.run_coroutine_threadsafe(self.follow_change(), loop)

    def is_sealed(self, courtroom_id: int) -> bool:
        """Whether the courtroom's recorder last reported a sealed span open, as stored when the last
        pass read it."""
        with self._sealed_lock:
            return courtroom_id in self._sealed_stored

    async def reconcile(self) -> None:
        """One pass: close what is not due, open what is, re-apply a clerk's cut after a restart, and
        cut (or resume) the broadcasts of rooms with a sealed span open (or no longer). Whether a room
        is sealed is decided once per pass (:meth:`is_sealed`, after this pass read the stored state):
        a broadcast opened for a sealed room is opened already cut, never opened and then cut."""
        async with self._lock:
            now = self._context.clock.now()
            due, cut, sealed = await asyncio.to_thread(self._load, now)
            with self._sealed_lock:
                self._sealed_stored = sealed
            current = await self.control.on_air()
            changed = False
            for feed_id in [f for f in self._on_air if f not in current]:  # e.g. the live server restarted
                await self._close(feed_id, self._on_air[feed_id], reason="ended outside the portal")
                changed = True
            for feed_id in current:
                mine, wanted = self._on_air.get(feed_id), due.get(feed_id)
                if wanted is None or mine is None or mine.hearing_id != wanted.hearing_id:
                    await self._close(feed_id, mine)
                    changed = True
                elif mine.masked != wanted.mask_faces:  # reopened below as a new broadcast, masked or not
                    await self._close(feed_id, mine, reason="the hearing's face masking changed")
                    changed = True
            for feed_id, wanted in due.items():
                fresh = feed_id not in self._on_air
                sealed_now = self.is_sealed(wanted.courtroom_id)  # once for the pass: the open and the cut
                if fresh and not await self._open(wanted, now, sealed=sealed_now):
                    continue
                changed = changed or fresh
                state = current.get(feed_id)
                live = (not sealed_now) if fresh else (state is not None and state.state == "live")
                if wanted.hearing_id in cut and live:
                    restored = "re-applied: the clerk's last word on this hearing was a cut"
                    await self._cut(self._on_air[feed_id], SCHEDULER_ACTOR, "", reason=restored)
                    live = False
                item = self._on_air[feed_id]
                await self._follow_seal(
                    item, sealed=sealed_now, live=live, clerk_cut=wanted.hearing_id in cut
                )
            if changed:
                self._context.public_cache.clear()  # notice pages link to the live page, or stop linking

    async def follow_change(self) -> None:
        """A pass at once after a clerk changed a hearing (a cancelled one goes off air now, not at the
        next regular pass). A failure is logged and left to the regular passes, which retry."""
        try:
            await self.reconcile()
        except PortalError as exc:
            logger.warning("public broadcasts: could not follow a hearing change at once: %s", exc)

    async def cut(self, hearing_id: int, *, actor: str, ip: str) -> int:
        """The clerk's cut of ``hearing_id``: applied at once (not waiting for a pass), then audited.

        Raises RuleViolationError when the hearing is not on air.
        """
        return await self._cut(self._require(hearing_id), actor, ip)

    async def resume(self, hearing_id: int, *, actor: str, ip: str) -> None:
        """The clerk's resume of ``hearing_id``: audited, then applied. RuleViolationError when not on air."""
        async with self._lock:
            item = self._require(hearing_id)
            # as stored now: a seal reported since the last pass already forbids the resume
            if item.courtroom_id in await asyncio.to_thread(self._load_seals):
                raise RuleViolationError("法庭正在封存录像，封存结束前不能恢复直播")
            detail: dict[str, JsonValue] = {"feed": item.feed_id}
            await self._audit(AuditAction.BROADCAST_RESUMED, _target(item), actor=actor, ip=ip, detail=detail)
            await self.control.resume(item.feed_id)
            logger.warning("public %s: resumed by %s", item.feed_id, actor)

    def start(self) -> None:
        """Run :meth:`reconcile` now and every ``portal_broadcast_check_seconds`` (on this event loop)."""
        self._loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def aclose(self) -> None:
        """Stop the passes and close every broadcast the portal opened (audited: the portal stopped)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        async with self._lock:
            for feed_id, item in list(self._on_air.items()):
                await self._close(feed_id, item, reason="the portal is stopping")

    async def _run(self) -> None:
        while True:
            try:
                await self.reconcile()
            except PortalError as exc:
                logger.warning("public broadcasts: reconciliation failed: %s", exc)
            except Exception:  # supervisor top level: log, keep the schedule running
                logger.exception("public broadcasts: reconciliation crashed; retrying")
            await asyncio.sleep(self._interval)

    def _load(self, now: datetime) -> tuple[dict[str, DueBroadcast], set[int], frozenset[int]]:
        with self._context.readonly_sessions() as db:
            due = due_broadcasts(
                db, now=now, grace=self._grace, stream=self._stream, sound_stream=self._sound_stream
            )
            return due, cut_by_clerk(db, [item.hearing_id for item in due.values()]), sealed_rooms(db)

    def _load_seals(self) -> frozenset[int]:
        """The rooms stored as sealed now."""
        with self._context.readonly_sessions() as db:
            return sealed_rooms(db)

    def _require(self, hearing_id: int) -> OnAir:
        item = self.of_hearing(hearing_id)
        if item is None:
            raise RuleViolationError("该庭审当前没有在直播")
        return item

    async def _open(self, wanted: DueBroadcast, now: datetime, *, sealed: bool) -> bool:
        """Record, then open (already cut while ``sealed``, the cut then recorded); a failure is
        recorded too and retried after ``_RETRY_AFTER``."""
        key = (wanted.feed_id, wanted.hearing_id)
        failed_at = self._failed.get(key)
        if failed_at is not None and now - failed_at < _RETRY_AFTER:
            return False
        item = OnAir(
            wanted.hearing_id,
            wanted.notice_id,
            wanted.court_id,
            wanted.feed_id,
            now,
            wanted.mask_faces,
            wanted.courtroom_id,
        )
        detail: dict[str, JsonValue] = {
            "feed": item.feed_id,
            "delay_seconds": self._delay,
            "mask_faces": item.masked,
            "sound": wanted.sound_feed_id,
        }
        try:
            await self._audit(
                AuditAction.BROADCAST_OPENED, _target(item), actor=SCHEDULER_ACTOR, detail=detail
            )
            await self.control.open(
                item.feed_id,
                delay_seconds=self._delay,
                mask_faces=item.masked,
                sound_feed_id=wanted.sound_feed_id,
                cut=sealed,
            )
        except PortalError as exc:
            logger.warning("public %s: not opened for hearing %d: %s", item.feed_id, item.hearing_id, exc)
            self._failed[key] = now
            failed = {**detail, "error": str(exc)[:300]}
            with contextlib.suppress(PortalError):  # the audit log itself may be what failed
                await self._audit(
                    AuditAction.BROADCAST_OPENED,
                    _target(item),
                    actor=SCHEDULER_ACTOR,
                    outcome="failed",
                    detail=failed,
                )
            return False
        self._failed.pop(key, None)
        self._on_air[item.feed_id] = item
        logger.info(
            "public %s: on air for hearing %d%s", item.feed_id, item.hearing_id, ", cut" if sealed else ""
        )
        if sealed:
            self._cut_for_seal.add(item.feed_id)
            cut: dict[str, JsonValue] = {
                "feed": item.feed_id,
                "withheld_segments": 0,
                "reason": SEALED_REASON,
            }
            await self._audit(AuditAction.BROADCAST_CUT, _target(item), actor=SEALED_SPAN_ACTOR, detail=cut)
        return True

    async def _close(self, feed_id: str, item: OnAir | None, *, reason: str | None = None) -> None:
        with contextlib.suppress(NotFoundError):  # already gone is as good as closed
            await self.control.close(feed_id)
        self._on_air.pop(feed_id, None)
        self._cut_for_seal.discard(feed_id)
        why = reason or (
            "not opened by the portal"
            if item is None
            else "no longer due: the window ended, the hearing is not public (or cancelled), "
            "or another hearing took the courtroom"
        )
        logger.info("public %s: closed (%s)", feed_id, why)
        detail: dict[str, JsonValue] = {"feed": feed_id, "reason": why}
        target = hearing_target(item.hearing_id) if item is not None else f"feed:{feed_id}"
        await self._audit(AuditAction.BROADCAST_CLOSED, target, actor=SCHEDULER_ACTOR, detail=detail)

    async def _cut(self, item: OnAir, actor: str, ip: str, *, reason: str | None = None) -> int:
        withheld = await self.control.cut(item.feed_id)
        logger.warning("public %s: CUT by %s (%d segments withheld)", item.feed_id, actor, withheld)
        detail: dict[str, JsonValue] = {"feed": item.feed_id, "withheld_segments": withheld}
        if reason:
            detail["reason"] = reason
        await self._audit(AuditAction.BROADCAST_CUT, _target(item), actor=actor, ip=ip, detail=detail)
        return withheld

    async def _follow_seal(self, item: OnAir, *, sealed: bool, live: bool, clerk_cut: bool) -> None:
        """Cut ``item`` while its courtroom has a sealed span open (``sealed``; again if it went live
        meanwhile); resume it when the seal ended, unless a clerk's cut stands."""
        if sealed:
            if item.feed_id not in self._cut_for_seal or live:
                await self._cut(item, SEALED_SPAN_ACTOR, "", reason=SEALED_REASON)
                self._cut_for_seal.add(item.feed_id)
        elif item.feed_id in self._cut_for_seal:
            self._cut_for_seal.discard(item.feed_id)
            if clerk_cut:
                return  # the clerk cut it too: it stays cut until a clerk resumes it
            detail: dict[str, JsonValue] = {"feed": item.feed_id, "reason": SEAL_ENDED_REASON}
            await self._audit(
                AuditAction.BROADCAST_RESUMED, _target(item), actor=SEALED_SPAN_ACTOR, detail=detail
            )
            await self.control.resume(item.feed_id)
            logger.warning("public %s: resumed (the sealed span ended)", item.feed_id)

    async def _audit(
        self,
        action: AuditAction,
        target: str,
        *,
        actor: str,
        detail: Mapping[str, JsonValue],
        ip: str = "",
        outcome: str = "ok",
    ) -> None:
        entry = AuditEntry(actor=actor, action=action, target=target, outcome=outcome, ip=ip, detail=detail)
        await self._context.audit_batch.record(entry, at=self._context.clock.now())


def _target(item: OnAir) -> str:
    return hearing_target(item.hearing_id)
