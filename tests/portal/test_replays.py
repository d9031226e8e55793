"""Replays of public hearings (庭审回放): after a public hearing ends, the public plays its broadcast
camera with the courtroom microphone's sound from the archive — only what the live broadcast could
show (nothing the clerk cut, no other camera), through portal links that redirect to short-lived
URLs. A clerk withdraws a replay (audited; the page then says 已撤回) and restores it. Replays of
hearings that are not public or not over yet are refused; a masked one waits for its masked
rendition. Real recording, real store, real Chromium (with axe-core, on a phone)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import select

from archive.export import load_tracks
from archive.journal import SealBeginEvent, SealEndEvent
from archive.store.object_store import ObjectStore
from portal.broadcasting.schedule import hearing_target
from portal.db import transaction
from portal.models import AuditRecord, Hearing, Recording, User
from portal.replays.withdrawal import withdraw_replay
from streaming.server.service import LiveService
from streaming.settings import StreamingSettings
from tests.portal.clerk_recording import index_recording, write_clerk_recording
from tests.portal.conftest import CaptureRun, RecordedBucket, Template
from tests.portal.replay_hearings import (
    CAMERA,
    RECORDING,
    Replay,
    open_replay,
)
from tests.portal.served import ServedApp
from tests.portal.sound_checks import assert_plays_sound_and_picture, loudest_sound, play_until
from tests.portal.test_accessibility import AXE, violations
from tests.portal.world import STAFF_PASSWORD, actor_of

pytestmark = pytest.mark.integration

OTHER_CAMERA, MICROPHONE = "wide-cam", "mic-1"


@pytest.fixture(scope="module")
def replay_store(recorded_bucket: RecordedBucket) -> ObjectStore:
    """One 8-second recording of room-a, case-a: two picture-only cameras and the room's microphone."""
    video = "synthetic#size=320x240&fps=15&audio=0"
    cameras = [f"{video}&name={name}" for name in (CAMERA, OTHER_CAMERA)]
    sources = [*cameras, f"synthetic#video=0&name={MICROPHONE}"]
    return recorded_bucket("replay", {RECORDING: CaptureRun(8, sources)})


@pytest.fixture
def replay(
    sqlite_template: Template, replay_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Replay]:
    """The portal after the hearing: the clerk cut its broadcast over the camera's 2nd and 3rd segments."""
    with open_replay(sqlite_template, replay_store, session_now, tmp_path) as made:
        yield made


def _route(replay: Replay) -> str:
    return f"/notices/{replay.notice_id}/replay/1"


def test_the_replay_shows_the_camera_with_the_microphones_sound_and_nothing_cut(replay: Replay) -> None:
    visitor = replay.portal.client()
    page = visitor.get(f"/notices/{replay.notice_id}/replay")
    assert page.status_code == 200, page.text
    assert "庭审回放" in page.text and f'data-playlist="{_route(replay)}/master.m3u8"' in page.text
    master = visitor.get(f"{_route(replay)}/master.m3u8")
    assert master.status_code == 200 and master.headers["cache-control"] == "no-store"
    assert f'URI="{_route(replay)}/playlist.m3u8?stream={MICROPHONE}"' in master.text
    assert 'AUDIO="sound"' in master.text and "RESOLUTION=320x240" in master.text
    assert master.text.rstrip().endswith(f"{_route(replay)}/playlist.m3u8?stream={CAMERA}")
    assert OTHER_CAMERA not in master.text

    playlist = visitor.get(f"{_route(replay)}/playlist.m3u8", params={"stream": CAMERA}).text
    listed = re.findall(r"/objects/bench-cam/([0-9]{8}\.m4s)", playlist)
    assert listed == replay.kept  # the cut's segments are left out ...
    assert "#EXT-X-DISCONTINUITY" in playlist and playlist.rstrip().endswith(
        "#EXT-X-ENDLIST"
    )  # ... as a break
    sound = visitor.get(f"{_route(replay)}/playlist.m3u8", params={"stream": MICROPHONE}).text
    heard = re.findall(r"/objects/mic-1/([0-9]{8}\.m4s)", sound)
    cut_from, cut_to = replay.withheld
    for segment in load_tracks(replay.store, RECORDING).tracks[MICROPHONE].segments:
        assert segment.started_at is not None and segment.ended_at is not None
        during_cut = segment.started_at < cut_to and cut_from < segment.ended_at
        assert (segment.object.split("/")[-1] in heard) is not during_cut, segment

    redirect = visitor.get(f"{_route(replay)}/objects/{CAMERA}/{replay.kept[0]}")
    assert redirect.status_code == 302 and redirect.headers["cache-control"] == "no-store"
    signed = urlparse(redirect.headers["location"])
    assert int(parse_qs(signed.query)["X-Amz-Expires"][0]) <= 120
    assert signed.path.endswith(f"/{RECORDING}/{CAMERA}/{replay.kept[0]}")
    assert httpx.get(redirect.headers["location"]).status_code == 200
    assert visitor.get(f"{_route(replay)}/objects/{CAMERA}/init.mp4").status_code == 302


def test_a_sealed_span_is_left_out_of_the_replay_like_a_cut(replay: Replay, tmp_path: Path) -> None:
    """The same recording with a clerk's sealed span inside the 4th camera segment (after the cut)."""
    sealed_copy = "replay-sealed"
    camera = load_tracks(replay.store, RECORDING).tracks[CAMERA].segments
    sealed = camera[3]
    assert sealed.started_at is not None and sealed.object.endswith(replay.kept[1])
    begin, end = sealed.started_at + timedelta(seconds=0.3), sealed.started_at + timedelta(seconds=0.6)
    events = [(begin, SealBeginEvent("不公开质证的证据", "书记员甲")), (end, SealEndEvent("书记员甲"))]
    write_clerk_recording(replay.store, sealed_copy, events, tmp_path, source=RECORDING)
    portal = replay.portal
    with transaction(portal.db_factory) as db:
        db.get_one(Recording, RECORDING).hearing_id = None  # the hearing's one recording: the sealed copy
    index_recording(
        portal.db_factory, replay.store, sealed_copy, now=portal.clock.now(), hearing_id=replay.hearing_id
    )

    visitor = portal.client()
    playlist = visitor.get(f"{_route(replay)}/playlist.m3u8", params={"stream": CAMERA}).text
    listed = re.findall(r"/objects/bench-cam/([0-9]{8}\.m4s)", playlist)
    assert listed == [name for name in replay.kept if name != replay.kept[1]]  # the cut and the seal
    assert "#EXT-X-DISCONTINUITY" in playlist  # one hole: the cut (2nd, 3rd) and the seal (4th) meet
    assert visitor.get(f"{_route(replay)}/objects/{CAMERA}/{replay.kept[1]}").status_code == 404
    assert visitor.get(f"{_route(replay)}/objects/{CAMERA}/{replay.kept[2]}").status_code == 302
    sound = visitor.get(f"{_route(replay)}/playlist.m3u8", params={"stream": MICROPHONE}).text
    heard = re.findall(r"/objects/mic-1/([0-9]{8}\.m4s)", sound)
    for segment in load_tracks(replay.store, sealed_copy).tracks[MICROPHONE].segments:
        assert segment.started_at is not None and segment.ended_at is not None
        in_seal = segment.started_at < end and begin < segment.ended_at
        if in_seal:
            assert segment.object.split("/")[-1] not in heard, segment


@pytest.mark.parametrize(
    "path",
    [
        "objects/bench-cam/{cut}",  # withheld by the clerk's cut
        "objects/mic-1/{cut}",
        "objects/wide-cam/{kept}",  # another camera of the room: never public
        "objects/wide-cam/init.mp4",
        "objects/bench-cam/journal",
        "objects/bench-cam/..%2Fwide-cam%2F{kept}",
        "playlist.m3u8?stream=wide-cam",
    ],
)
def test_the_public_gets_no_url_to_what_the_replay_does_not_show(replay: Replay, path: str) -> None:
    visitor = replay.portal.client()
    url = f"{_route(replay)}/{path.format(cut=replay.cut[0], kept=replay.kept[0])}"
    answer = visitor.get(url)
    assert answer.status_code == 404, (url, answer.status_code)
    assert "location" not in answer.headers


def _withdraw(replay: Replay, reason: str, username: str = "clerk-a") -> httpx.Response:
    staff = replay.portal.staff(username)
    page = staff.get("/staff/replays")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, page.text
    return staff.post(
        f"/staff/replays/{replay.hearing_id}/withdraw", data={"csrf_token": token[1], "reason": reason}
    )


def test_a_clerk_withdraws_a_replay_and_restores_it(replay: Replay) -> None:
    visitor = replay.portal.client()
    segment = f"{_route(replay)}/objects/{CAMERA}/{replay.kept[0]}"
    assert visitor.get(segment).status_code == 302
    clerk = replay.portal.staff("clerk-a")
    listed = clerk.get("/staff/replays")
    assert f'data-hearing="{replay.hearing_id}" data-state="available"' in listed.text

    refused = _withdraw(replay, " ")  # a withdrawal needs a reason: the page says so, nothing changes
    assert refused.status_code == 422 and "撤回理由" in refused.text
    assert visitor.get(segment).status_code == 302

    done = _withdraw(replay, "当事人申请，涉及商业秘密")
    assert done.status_code == 303 and done.headers["location"] == "/staff/replays"
    gone = visitor.get(f"/notices/{replay.notice_id}/replay")
    assert gone.status_code == 410 and "已撤回" in gone.text
    assert visitor.get(segment).status_code == 404  # the next segment request is refused at once
    assert visitor.get(f"{_route(replay)}/master.m3u8").status_code == 404
    assert f'href="/notices/{replay.notice_id}/replay"' not in visitor.get("/replays").text
    again = _withdraw(replay, "再次撤回")
    assert again.status_code == 409 and "已经撤回" in again.text

    assert _withdraw(replay, "别的法院", username="clerk-b").status_code == 404
    with replay.portal.db_factory() as db:
        rows = db.execute(
            select(AuditRecord.action, AuditRecord.actor, AuditRecord.detail)
            .where(AuditRecord.target == hearing_target(replay.hearing_id))
            .where(AuditRecord.action.like("replay_%"))
        ).all()
    assert [(action, actor.endswith(":clerk-a")) for action, actor, _ in rows] == [("replay_withdrawn", True)]
    assert "商业秘密" in rows[0][2]

    page = clerk.get("/staff/replays")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    restored = clerk.post(f"/staff/replays/{replay.hearing_id}/restore", data={"csrf_token": token[1]})
    assert restored.status_code == 303
    assert visitor.get(f"/notices/{replay.notice_id}/replay").status_code == 200
    assert visitor.get(segment).status_code == 302
    anonymous = visitor.post(f"/staff/replays/{replay.hearing_id}/withdraw", data={"reason": "匿名"})
    assert anonymous.status_code in (401, 403, 303)
    assert visitor.get(f"/notices/{replay.notice_id}/replay").status_code == 200


def test_replays_are_refused_for_hearings_not_public_or_not_over_and_wait_when_masked(replay: Replay) -> None:
    portal = replay.portal
    with portal.db_factory() as db:
        recording = db.get_one(Recording, RECORDING)
        db.expunge(recording)
    visitor = portal.client()
    # sealed: the hearing is no longer public (its replay is at no public URL at all)
    with transaction(portal.db_factory) as db:
        db.get_one(Hearing, replay.hearing_id).is_public = False
    for path in (
        "",
        "/1/master.m3u8",
        f"/1/playlist.m3u8?stream={CAMERA}",
        f"/1/objects/{CAMERA}/{replay.kept[0]}",
    ):
        assert visitor.get(f"/notices/{replay.notice_id}/replay{path}").status_code == 404, path
    with transaction(portal.db_factory) as db:
        db.get_one(Hearing, replay.hearing_id).is_public = True
        db.get_one(Hearing, replay.hearing_id).mask_faces = True  # faces to be masked: masked replay only
    masked = visitor.get(f"/notices/{replay.notice_id}/replay")
    assert masked.status_code == 200 and "处理中" in masked.text and "data-playlist" not in masked.text
    assert visitor.get(f"{_route(replay)}/objects/{CAMERA}/{replay.kept[0]}").status_code == 404
    with transaction(portal.db_factory) as db:
        db.get_one(Hearing, replay.hearing_id).mask_faces = False
    assert recording.ended_at is not None
    portal.clock.set(recording.ended_at)  # not over yet (the hearing's window runs on)
    early = visitor.get(f"/notices/{replay.notice_id}/replay")
    assert early.status_code == 200 and "尚未结束" in early.text and "data-playlist" not in early.text
    assert visitor.get(f"{_route(replay)}/master.m3u8").status_code == 404


def test_no_unmasked_replay_while_the_live_server_masks_every_broadcast(
    replay: Replay, tmp_path: Path
) -> None:
    """Every replay then waits for its masked rendition (tests/portal/test_masked_replays.py)."""
    visitor = replay.portal.client()
    assert visitor.get(f"/notices/{replay.notice_id}/replay").status_code == 200
    masking = StreamingSettings(public_dir=tmp_path / "public-live", mask_faces=True)
    replay.portal.app.state.live_service = LiveService(masking)  # the portal's live server masks all
    masked = visitor.get(f"/notices/{replay.notice_id}/replay")
    assert masked.status_code == 200 and "处理中" in masked.text and "data-playlist" not in masked.text
    assert visitor.get(f"{_route(replay)}/objects/{CAMERA}/{replay.kept[0]}").status_code == 404
    assert visitor.get(f"{_route(replay)}/objects/{CAMERA}/init.mp4").status_code == 404


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"q": "(2026)京0101民初1号"}, True),  # the case number with half-width brackets
        ({"q": "张三"}, True),  # a party, as the notice shows it
        ({"q": "民间借贷"}, True),
        ({"q": "第一法庭"}, True),
        ({"court": "court-a"}, True),
        ({"court": "court-b"}, False),
        ({"q": "不存在的当事人"}, False),
    ],
)
def test_replays_are_listed_and_searched(replay: Replay, query: dict[str, str], found: bool) -> None:
    visitor = replay.portal.client()
    page = visitor.get("/replays", params=query)
    assert page.status_code == 200
    assert (f'href="/notices/{replay.notice_id}/replay"' in page.text) is found


def test_notice_pages_link_the_replay(replay: Replay) -> None:
    visitor = replay.portal.client()
    with replay.portal.db_factory() as db:
        starts = db.get_one(Hearing, replay.hearing_id).starts_at
    day = starts.astimezone(replay.portal.app.state.portal.display_zone).date().isoformat()
    listing = visitor.get("/notices", params={"date": day})
    assert f'href="/notices/{replay.notice_id}/replay"' in listing.text and ">回放</a>" in listing.text
    assert "观看庭审回放" in visitor.get(f"/notices/{replay.notice_id}").text
    assert 'href="/replays"' in listing.text


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_chromium_plays_the_replay_with_sound_on_a_phone(replay: Replay, chromium: Any) -> None:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `make setup` (npm ci)")
    with ServedApp(replay.portal.app) as server:
        page = chromium.new_page(viewport={"width": 412, "height": 915})  # a citizen's phone
        page.goto(f"{server.url}/notices/{replay.notice_id}/replay")
        page.wait_for_function("() => document.getElementById('video').readyState >= 2", timeout=30000)
        play_until(page, 1, timeout=30000)
        level = loudest_sound(page)
        assert_plays_sound_and_picture(page)  # sound and pictures together
        assert level > 0.01, f"the replay plays silence (RMS {level})"
        # on across the cut (a discontinuity, picture and sound gaps of their own) to the end, by itself
        page.wait_for_function(
            "() => { const v = document.getElementById('video'); return v.ended || v.currentTime > 3.5; }",
            timeout=30000,
        )
        _screenshot(page, "public-replay-phone.png")
        problems = {}
        for path in (f"/notices/{replay.notice_id}/replay", "/replays", "/replays?q=张三"):
            page.goto(f"{server.url}{path}")  # loaded; a page its scripts fill in: until they are done
            if page.query_selector("script") is not None:
                page.wait_for_load_state("networkidle")
            if found := violations(page):
                problems[path] = found
        _screenshot(page, "public-replays-phone.png")
        page.goto(f"{server.url}/login")
        page.fill("input[name=identifier]", "clerk-a")
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/staff")
        page.goto(f"{server.url}/staff/replays")
        page.fill("input[name=reason]", "测")  # too short: refused, the page keeps what was typed
        page.click("form[action$='/withdraw'] button")
        assert page.input_value("input[name=reason]") == "测"
        assert "撤回理由" in (page.text_content("[role=alert]") or "")
        _screenshot(page, "staff-replays-phone.png")
        for path in ("/staff/replays", "/staff/broadcasts"):
            page.goto(f"{server.url}{path}")  # loaded; a page its scripts fill in: until they are done
            if page.query_selector("script") is not None:
                page.wait_for_load_state("networkidle")
            if found := violations(page):
                problems[path] = found
        assert not problems, problems


def test_the_replay_list_is_cached_for_visitors_and_dropped_when_a_clerk_withdraws_or_restores(
    replay: Replay,
) -> None:
    portal = replay.portal
    link = f'href="/notices/{replay.notice_id}/replay"'
    visitor = portal.client()
    assert link in visitor.get("/replays").text
    with transaction(portal.db_factory) as db:  # withdrawn by another portal process
        clerk = db.get_one(User, portal.world.users["clerk-a"])
        withdraw_replay(db, actor_of(clerk), replay.hearing_id, "另一进程撤回", now=portal.clock.now())
    assert link in visitor.get("/replays").text  # this process's cached list, for a few seconds
    signed_in = portal.staff("clerk-a")
    mine = signed_in.get("/replays").text  # a signed-in visitor's page is built for them
    assert link not in mine and 'action="/logout"' in mine
    portal.clock.advance(timedelta(seconds=6))  # past the cache's time-to-live
    assert link not in visitor.get("/replays").text

    page = signed_in.get("/staff/replays")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    restored = signed_in.post(f"/staff/replays/{replay.hearing_id}/restore", data={"csrf_token": token[1]})
    assert restored.status_code == 303
    assert link in visitor.get("/replays").text  # the clerk's restore dropped the cached list at once
    assert _withdraw(replay, "当事人申请").status_code == 303
    assert link not in visitor.get("/replays").text  # and so does a withdrawal
