"""Staff watch recordings: a court's clerks and judges find its recordings by case number (however
bracketed), courtroom and date, play them through the portal (audited like any playback), with the
timeline of segments and breaks; another court's staff, operators and parties cannot."""

from __future__ import annotations

import hashlib
import re
import urllib.request

import pytest
from sqlalchemy import select

from archive.export import PlaylistSegment, StreamTrack
from portal.models import AuditRecord
from portal.review.timeline import track_timeline
from tests.portal.conftest import Portal
from tests.portal.visible_text import visible_text
from tests.portal.world import CASE_A, CASE_B, REC_A, REC_B

PLAYER = f"/staff/recordings/{REC_A}"


def _segments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _audited(portal: Portal, action: str) -> list[tuple[str, str]]:
    with portal.db_factory() as db:
        rows = db.execute(
            select(AuditRecord.actor, AuditRecord.target).where(AuditRecord.action == action)
        ).all()
    return [(actor.rsplit(":", 1)[-1], target) for actor, target in rows]  # user:N:name → name


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({}, True),
        ({"case": "", "room": "", "date": ""}, True),  # the form with nothing chosen
        ({"case": CASE_A}, True),
        ({"case": "(2026)京0101民初1号"}, True),  # half-width brackets
        ({"case": " （2026） 京0101民初1号 "}, True),  # stray spaces
        ({"case": CASE_B}, False),
        ({"date": "2001-01-01"}, False),
    ],
)
def test_a_clerk_finds_the_courts_recordings(portal: Portal, query: dict[str, str], found: bool) -> None:
    page = portal.staff("clerk-a").get("/staff/recordings", params=query)
    assert page.status_code == 200, page.text
    assert (f'href="{PLAYER}"' in page.text) is found
    assert f"/staff/recordings/{REC_B}" not in page.text  # another court's recording, never
    if found:
        assert CASE_A in page.text and "第一法庭" in page.text
        shown = visible_text(page.text)
        assert REC_A not in shown and "synthetic-1" not in shown  # named by date, room and camera
        assert "摄像机 1" in shown


def test_a_judge_plays_a_recording_and_it_is_audited(portal: Portal) -> None:
    judge = portal.staff("judge-a")
    page = judge.get(PLAYER)
    assert page.status_code == 200, page.text
    assert 'id="watermark"' in page.text and "时间轴" in page.text and "中断 0 次" in page.text
    heading = re.search(r"<h1>(.*?)</h1>", page.text, re.S)
    assert heading is not None
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 第一法庭 摄像机 1", visible_text(heading.group(1)))
    assert "synthetic-1" not in visible_text(page.text).replace("画面 synthetic-1", "")  # small print only
    assert page.headers["cache-control"].startswith("no-store")
    playlist = judge.get(f"{PLAYER}/playlist.m3u8")
    assert playlist.status_code == 200 and playlist.text.rstrip().endswith("#EXT-X-ENDLIST")
    assert f'#EXT-X-MAP:URI="{PLAYER}/objects/synthetic-1/init.mp4"' in playlist.text
    first = _segments(playlist.text)[0]
    redirect = judge.get(first)
    assert redirect.status_code == 302
    with urllib.request.urlopen(redirect.headers["location"], timeout=10) as response:
        data = response.read()
    assert hashlib.sha256(data).hexdigest() == response.headers["x-amz-meta-sha256"]
    assert ("judge-a", f"recording:{REC_A}") in _audited(portal, "playback_started")
    assert ("judge-a", f"recording:{REC_A}") in _audited(portal, "segment_issued")
    # an object that is not part of the recording is refused, through the staff route too
    assert judge.get(f"{PLAYER}/objects/synthetic-1/99999999.m4s").status_code == 404


@pytest.mark.parametrize("who", ["clerk-b", "operator-a", "party"])
def test_others_cannot_play_the_courts_recordings(portal: Portal, who: str) -> None:
    caller = portal.party(CASE_A, portal.world.password_a) if who == "party" else portal.staff(who)
    for path in [PLAYER, f"{PLAYER}/playlist.m3u8", f"{PLAYER}/objects/synthetic-1/00000001.m4s"]:
        status = caller.get(path).status_code
        assert status in {403, 404}, (who, path, status)
    if who == "clerk-b":  # another court: as if it did not exist, and not listed
        assert caller.get(PLAYER).status_code == 404
        assert f'href="{PLAYER}"' not in caller.get("/staff/recordings").text
    assert _audited(portal, "playback_started") == []


def _segment(number: int, *, gap: bool = False) -> PlaylistSegment:
    return PlaylistSegment(
        stream="cam",
        segment=number,
        object=f"cam/{number:08d}.m4s",
        init="cam/init.mp4",
        duration=6.0,
        sha256="0" * 64,
        discontinuity=gap,
    )


def test_the_timeline_breaks_where_the_journal_says_the_picture_stopped() -> None:
    track = StreamTrack("cam", (_segment(1, gap=True), _segment(2), _segment(3, gap=True), _segment(4)))
    timeline = track_timeline(track)
    assert [(run.start, run.end, run.segments, run.after_break) for run in timeline.runs] == [
        (0.0, 12.0, 2, False),
        (12.0, 24.0, 2, True),
    ]
    assert timeline.breaks == 1 and [run.percent for run in timeline.runs] == [50.0, 50.0]
