"""What the clerk does to the room's recording from the console: start an ad-hoc hearing, stop
(confirmed when before the expected end), pause with one of the 2017 rules' art. 3 reasons and
resume, log notes, sealed spans, and the pre-hearing readiness check. Everything is journaled with
who did it (``by``); refusals raise :class:`~capture.errors.ClerkActionRefused` with a message in
Chinese for the clerk. Blocking: the console calls these off its event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta, timezone
from typing import Protocol

from archive import ArchiveError
from archive.journal import (
    ClerkEvent,
    NoteEvent,
    NoteKind,
    PauseReason,
    ReadinessCheck,
    ReadinessEvent,
    ReadinessItem,
    SealBeginEvent,
    SealEndEvent,
)
from capture.errors import CaptureError, ClerkActionRefused
from capture.service.clerk_marks import PauseMark, ReadinessMark, SealMark
from capture.service.courtroom_service import CourtroomService
from capture.service.recording_session import RecordingSession
from capture.service.schedule.schedule import HearingState, ScheduledHearing
from capture.service.service_state import ActiveRecording
from timebase import Clock

BEIJING = timezone(timedelta(hours=8), "北京时间")
AD_HOC_LENGTH = timedelta(hours=8)  # an ad-hoc hearing records until the clerk stops it (or this + grace)
COMMAND_TIMEOUT_SECONDS = 90.0  # a start or stop waits for the service's thread at most this long
MAX_NAME_CHARS = 40
MAX_TEXT_CHARS = 500
READY_HEADROOM_HOURS = 2.0  # the readiness check wants at least this much recording left on the disk
READY_MAX_BACKLOG = 200  # …and at most this many files waiting for upload
PICTURE_FRESH_SECONDS = 3.0
AUDIBLE_PEAK_DBFS = -60.0
PAUSE_NAMES = {
    PauseReason.RECESS: "休庭",
    PauseReason.NON_PUBLIC_EVIDENCE: "不公开质证的证据",
    PauseReason.MEDIATION: "调解",
    PauseReason.OTHER: "其他",
}
PROBLEM_NAMES = {
    "no_frames": "无信号",
    "video_black": "黑屏",
    "video_frozen": "画面冻结",
    "audio_silent": "无声音",
    "failed": "采集失败",
}
_PICTURE_PROBLEMS = {"no_frames", "video_black", "video_frozen", "failed"}
_SOUND_PROBLEMS = {"no_frames", "audio_silent", "failed"}


class MediaProbe(Protocol):
    """What the readiness check measures of the recording's own pictures and sound."""

    def picture_age(self, name: str) -> float | None: ...

    def peak_dbfs(self, name: str) -> float | None: ...


def beijing(moment: datetime) -> str:
    """``moment`` as Beijing wall-clock time, e.g. ``2026-12-03 09:30``."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def clerk_name(by: str) -> str:
    """The clerk's name as typed, trimmed; refused (422) when empty or too long."""
    name = by.strip()
    if not name:
        raise ClerkActionRefused("请先填写书记员姓名（记入录像日志）", status=422)
    if len(name) > MAX_NAME_CHARS:
        raise ClerkActionRefused(f"书记员姓名过长（最多 {MAX_NAME_CHARS} 字）", status=422)
    return name


def _text(text: str, what: str) -> str:
    words = text.strip()
    if not words:
        raise ClerkActionRefused(f"请填写{what}", status=422)
    if len(words) > MAX_TEXT_CHARS:
        raise ClerkActionRefused(f"{what}过长（最多 {MAX_TEXT_CHARS} 字）", status=422)
    return words


class ClerkDesk:
    """The clerk's actions on ``service``'s recording in progress."""

    def __init__(self, service: CourtroomService, clock: Clock, *, room: str) -> None:
        self._service = service
        self._clock = clock
        self._room = room

    def start(self, by: str, case_number: str = "") -> str:
        """Start recording an ad-hoc hearing now; returns its recording id."""
        name = clerk_name(by)
        case = case_number.strip()[:64]
        now = self._clock.now()
        hearing = ScheduledHearing(
            hearing_id=-int(now.timestamp() * 1000),  # below 1: no portal hearing (see courtroom_service)
            case_number=case,
            courtroom=self._room,
            starts_at=now,
            expected_end_at=now + AD_HOC_LENGTH,
            state=HearingState.SCHEDULED,
        )
        try:
            started = self._service.call(lambda: self._service.start_ad_hoc(hearing))
            recording_id = started.result(timeout=COMMAND_TIMEOUT_SECONDS)
        except CaptureError as exc:
            raise ClerkActionRefused("正在录像，无需开始；如需另开庭审请先停止当前录像") from exc
        if not isinstance(recording_id, str):
            detail = self._service.status().detail
            raise ClerkActionRefused(f"录像未能开始：{detail or '请查看服务日志'}", status=503)
        said = "书记员开始临时庭审录像" + (f"：{case}" if case else "")
        self._journal(NoteEvent(NoteKind.EVENT, said, name))
        return recording_id

    def stop(self, by: str, *, confirm_early: bool) -> None:
        """Stop the recording in progress (the clerk's close); before the hearing's expected end only
        with ``confirm_early``."""
        name = clerk_name(by)
        active, _ = self._require_recording()
        hearing = active.hearing
        early = hearing.hearing_id > 0 and self._clock.now() < hearing.expected_end_at
        if early and not confirm_early:
            raise ClerkActionRefused(
                f"本场庭审预计 {beijing(hearing.expected_end_at)}（北京时间）结束，尚未到时。"
                "确认提前停止录像吗？",  # noqa: RUF001 - Chinese punctuation
                confirm=True,
            )
        reason = f"hearing closed by the clerk ({name})" + (", before the expected end" if early else "")
        try:
            closing = self._service.call(lambda: self._service.close_active(reason, by=name))
            closing.result(COMMAND_TIMEOUT_SECONDS)
        except CaptureError as exc:
            raise ClerkActionRefused("当前未在录像") from exc

    def pause(self, code: str | None, text: str, by: str) -> None:
        """Journal a pause for one of the 2017 art. 3 reasons (``other`` needs ``text``)."""
        name = clerk_name(by)
        accepted = "、".join(PAUSE_NAMES.values())
        if not code:
            raise ClerkActionRefused(f"暂停录像须选择原因（{accepted}）", status=422)
        try:
            reason = PauseReason(code)
        except ValueError as exc:
            raise ClerkActionRefused(f"暂停原因只能是：{accepted}", status=422) from exc
        words = text.strip()
        if reason is PauseReason.OTHER:
            words = _text(text, "暂停的具体原因（选择“其他”时必填）")
        active, recorder = self._require_recording()
        if self._service.marks.of(active.recording_id).pause is not None:
            raise ClerkActionRefused("录像已处于暂停状态")
        said = PAUSE_NAMES[reason] + (f"：{words}" if words else "")
        self._guarded(lambda: recorder.pause(said, code=reason, by=name))
        mark = PauseMark(reason, said, name, self._clock.now())
        self._service.marks.set(active.recording_id, pause=mark)

    def resume(self, by: str) -> None:
        """Journal the end of the pause."""
        name = clerk_name(by)
        active, recorder = self._require_recording()
        if self._service.marks.of(active.recording_id).pause is None:
            raise ClerkActionRefused("录像未处于暂停状态")
        self._guarded(lambda: recorder.resume("hearing resumed", by=name))
        self._service.marks.set(active.recording_id, pause=None)

    def note(self, kind: str, text: str, by: str) -> None:
        """Journal a log note of ``kind`` (speaker, exhibit, event, text)."""
        name = clerk_name(by)
        try:
            note_kind = NoteKind(kind)
        except ValueError as exc:
            kinds = "发言人、出示证据、庭审事件、自由记录"
            raise ClerkActionRefused(f"记录类型只能是：{kinds}", status=422) from exc
        self._journal(NoteEvent(note_kind, _text(text, "记录内容"), name))

    def seal_begin(self, reason: str, by: str) -> None:
        """Begin a sealed span (recording continues; the span is kept from the public)."""
        name = clerk_name(by)
        words = _text(reason, "密封原因")
        active, _ = self._require_recording()
        if self._service.marks.of(active.recording_id).seal is not None:
            raise ClerkActionRefused("密封区段已在进行中")
        self._journal(SealBeginEvent(words, name))
        self._service.marks.set(active.recording_id, seal=SealMark(words, name, self._clock.now()))

    def seal_end(self, by: str) -> None:
        """End the sealed span."""
        name = clerk_name(by)
        active, _ = self._require_recording()
        if self._service.marks.of(active.recording_id).seal is None:
            raise ClerkActionRefused("没有进行中的密封区段")
        self._journal(SealEndEvent(name))
        self._service.marks.set(active.recording_id, seal=None)

    def readiness(
        self,
        by: str,
        *,
        cameras: Collection[str],
        microphones: Collection[str],
        probe: MediaProbe,
        streams: Mapping[str, tuple[bool, bool]],
    ) -> ReadinessEvent:
        """Check each camera's picture and each microphone's level (``cameras``/``microphones``: those
        the clerk confirmed by eye and ear), the storage headroom and the uploads; journal the result.
        ``streams`` gives each stream's (has video, has sound)."""
        name = clerk_name(by)
        active, _ = self._require_recording()
        status = self._service.status()
        problems = {source.name: set(source.problems) for source in status.sources}
        checks: list[ReadinessCheck] = []
        for stream, (video, sound) in streams.items():
            found = problems.get(stream, set())
            if video:
                checks.append(_camera_check(stream, stream in cameras, probe, found))
            if sound:
                checks.append(_microphone_check(stream, stream in microphones, probe, found))
        hours = status.storage_headroom_hours
        checks.append(
            ReadinessCheck(
                ReadinessItem.STORAGE,
                ok=hours is not None and hours >= READY_HEADROOM_HOURS,
                detail="无法读取磁盘剩余空间" if hours is None else f"本机存储约可再录 {hours:g} 小时",
            )
        )
        checks.append(self._upload_check(status.upload_backlog, status.detail))
        event = ReadinessEvent(checks=tuple(checks), by=name)
        self._journal(event)
        self._service.marks.set(active.recording_id, readiness=ReadinessMark(event, self._clock.now()))
        return event

    def _upload_check(self, backlog: int, detail: str) -> ReadinessCheck:
        if not self._service.uploads:
            return ReadinessCheck(ReadinessItem.UPLOAD, ok=False, detail="未配置对象存储：录像只保存在本机")
        if "上传完整性告警" in detail:
            return ReadinessCheck(ReadinessItem.UPLOAD, ok=False, detail=detail[:200])
        return ReadinessCheck(
            ReadinessItem.UPLOAD, ok=backlog <= READY_MAX_BACKLOG, detail=f"待上传文件 {backlog} 个"
        )

    def _require_recording(self) -> tuple[ActiveRecording, RecordingSession]:
        active, recorder = self._service.current()
        if active is None or recorder is None:
            raise ClerkActionRefused("当前未在录像")
        return active, recorder

    def _journal(self, event: ClerkEvent) -> None:
        _, recorder = self._require_recording()
        self._guarded(lambda: recorder.journal_clerk_event(event))

    @staticmethod
    def _guarded(action: Callable[[], None]) -> None:
        try:
            action()
        except (CaptureError, ArchiveError, OSError) as exc:
            raise ClerkActionRefused(f"未能记入录像日志：{exc}", status=503) from exc


def _camera_check(name: str, confirmed: bool, probe: MediaProbe, problems: set[str]) -> ReadinessCheck:
    age = probe.picture_age(name)
    seen = sorted(PROBLEM_NAMES.get(p, p) for p in problems & _PICTURE_PROBLEMS)
    if age is None or age > PICTURE_FRESH_SECONDS:
        seen.append("无最新画面")
    detail = "；".join(seen) if seen else f"最新画面 {age:.1f} 秒前"
    detail += "；书记员已确认画面" if confirmed else "；书记员未确认画面"
    return ReadinessCheck(
        ReadinessItem.CAMERA, ok=confirmed and not seen, detail=detail, stream=name, confirmed=confirmed
    )


def _microphone_check(name: str, confirmed: bool, probe: MediaProbe, problems: set[str]) -> ReadinessCheck:
    peak = probe.peak_dbfs(name)
    heard = sorted(PROBLEM_NAMES.get(p, p) for p in problems & _SOUND_PROBLEMS)
    if peak is None or peak < AUDIBLE_PEAK_DBFS:
        heard.append("无声音信号")
    level = "无" if peak is None else f"{peak:.1f} dBFS"
    detail = "；".join([*heard, f"峰值电平 {level}"])
    detail += "；书记员已确认声音" if confirmed else "；书记员未确认声音"
    return ReadinessCheck(
        ReadinessItem.MICROPHONE, ok=confirmed and not heard, detail=detail, stream=name, confirmed=confirmed
    )
