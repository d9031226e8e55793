"""Recordings named as people name them: by date, courtroom and camera (``2026年12月3日 第一法庭
审判席摄像机``), never by the agent's recording id, stream name or device case code (those stay in
tooltips and small print for court IT)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.formats.stream_labels import stream_label
from portal.models import Courtroom, Recording

__all__ = ["courtroom_name", "recording_day", "recording_title", "recording_titles", "stream_label"]


def recording_day(moment: datetime | None, zone: ZoneInfo) -> str:
    """``moment`` as a date in the court's zone, ``2026年12月3日`` (no leading zeros); 日期不详 if unknown."""
    if moment is None:
        return "日期不详"
    local = moment.astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日"


def recording_title(
    started_at: datetime | None, courtroom: str, zone: ZoneInfo, stream: str | None = None
) -> str:
    """``2026年12月3日 第一法庭`` and, given ``stream``, its label: ``… 审判席摄像机``."""
    parts = [recording_day(started_at, zone), courtroom]
    if stream:
        parts.append(stream_label(stream))
    return " ".join(part for part in parts if part)


def courtroom_name(db: Session, recording: Recording) -> str:
    """The name of the courtroom ``recording`` was made in (its court's room of the journaled code);
    the code itself when the portal knows no such courtroom (a bodycam's unit, say)."""
    if recording.court_id is None:
        return recording.room
    room = (Courtroom.court_id == recording.court_id) & (Courtroom.code == recording.room)
    name = db.scalar(select(Courtroom.name).where(room))
    return name or recording.room


def recording_titles(db: Session, recording_ids: Iterable[str], zone: ZoneInfo) -> dict[str, str]:
    """``{recording id: "2026年12月3日 第一法庭"}`` for the known ones of ``recording_ids``."""
    wanted = set(recording_ids)
    if not wanted:
        return {}
    rows = db.execute(
        select(Recording.id, Recording.started_at, Recording.room, Courtroom.name)
        .outerjoin(Courtroom, (Courtroom.court_id == Recording.court_id) & (Courtroom.code == Recording.room))
        .where(Recording.id.in_(wanted))
    )
    return {rid: recording_title(started, name or room, zone) for rid, started, room, name in rows}
