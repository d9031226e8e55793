"""Replays of public hearings whose faces are to be masked (art. 12): played only from a masked
rendition made from the archive by the portal's masking job, never from the archive's unmasked
picture. Real recording of a real photograph of a face (scikit-image's astronaut), real Haar
cascade, real x264, real SeaweedFS."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest

from archive.export import load_tracks
from archive.store.object_store import ObjectStore
from archive.store.s3_client import make_minio_client
from portal.cli import main as cli_main
from portal.db import transaction
from portal.models import User
from portal.records.reconciler import reconcile_now
from portal.replays.manifest_cache import PREPARING_SECONDS, READY_SECONDS
from portal.replays.masked_rendition import MANIFEST, load_manifest, masked_key
from portal.replays.withdrawal import withdraw_replay
from tests.portal.conftest import CaptureRun, Portal, RecordedBucket, Template, open_portal
from tests.portal.replay_hearings import public_hearing_around
from tests.portal.served import ServedApp
from tests.portal.world import actor_of
from tests.streaming.faces import FACE, HEIGHT, detail, face_picture, i420

pytestmark = pytest.mark.integration

RECORDING = "masked-rec"
CAMERA, MICROPHONE = "bench-cam", "mic-1"
GRACE = timedelta(minutes=30)  # portal_broadcast_grace_minutes
ROOT = Path(__file__).resolve().parents[2]


def _face_video(path: Path) -> None:
    """Two seconds of the photograph at 320x240, 15 fps (the camera the courtroom records)."""
    planes = i420(face_picture())
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for index in range(30):
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, 15)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


@pytest.fixture(scope="module")
def masked_store(recorded_bucket: RecordedBucket, tmp_path_factory: pytest.TempPathFactory) -> ObjectStore:
    """One 4-second recording of room-a: the face camera (2-s segments) and the room's microphone."""
    work = tmp_path_factory.mktemp("masked-source")
    _face_video(work / "face.mp4")
    sources = [f"file:{work / 'face.mp4'}#loop=1&name={CAMERA}", f"synthetic#video=0&name={MICROPHONE}"]
    return recorded_bucket("masked", {RECORDING: CaptureRun(4, sources)})


@dataclasses.dataclass
class MaskedReplay:
    portal: Portal
    hearing_id: int
    notice_id: int
    store: ObjectStore

    @property
    def route(self) -> str:
        return f"/notices/{self.notice_id}/replay/1"

    def run_job(self) -> int:
        """One pass of the portal's own masking worker; how many segments it masked."""
        outcomes = self.portal.app.state.masked_replays.run_pass()
        return sum(outcome.masked for outcome in outcomes)


@pytest.fixture
def masked_replay(
    sqlite_template: Template, masked_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[MaskedReplay]:
    """The portal after a public hearing of room-a whose faces are to be masked, with a fresh bucket
    prefix for the rendition (each test starts with none)."""
    for stored in masked_store.list_objects(f"replays-masked/{RECORDING}/"):
        masked_store.delete(stored.key)
    overrides = {"environment": "development", "portal_cookie_secure": False}
    with open_portal(sqlite_template, masked_store, session_now, tmp_path, **overrides) as portal:
        reconcile_now(portal.app.state.portal, "test")
        hearing_id, notice_id, ended = public_hearing_around(portal, RECORDING, mask_faces=True)
        portal.clock.set(max(portal.clock.now(), ended + timedelta(minutes=1) + GRACE))
        yield MaskedReplay(portal, hearing_id, notice_id, masked_store)


def _segments(replay: MaskedReplay) -> list[str]:
    return [s.object.split("/")[-1] for s in load_tracks(replay.store, RECORDING).tracks[CAMERA].segments]


def _face_detail(init: bytes, segment: bytes) -> list[float]:
    with av.open(io.BytesIO(init + segment)) as container:
        pictures = [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]
    return [detail(np.asarray(p[:HEIGHT], dtype=np.uint8), FACE) for p in pictures]


def test_until_its_masked_rendition_is_made_the_replay_is_being_prepared_and_shows_no_picture(
    masked_replay: MaskedReplay,
) -> None:
    visitor = masked_replay.portal.client()
    page = visitor.get(f"/notices/{masked_replay.notice_id}/replay")
    assert page.status_code == 200 and "处理中" in page.text and "data-playlist" not in page.text
    assert visitor.get(f"{masked_replay.route}/master.m3u8").status_code == 404
    for name in ("init.mp4", *_segments(masked_replay)):  # the archive's unmasked picture: never
        answer = visitor.get(f"{masked_replay.route}/objects/{CAMERA}/{name}")
        assert answer.status_code == 404 and "location" not in answer.headers, name
    assert _staff_state(masked_replay) == ("preparing", "处理中（隐私遮挡）")  # not 公开中 yet


def _staff_state(replay: MaskedReplay) -> tuple[str, str]:
    """The replay's state on the clerk's replay list: its data-state and what the card says."""
    page = replay.portal.staff("clerk-a").get("/staff/replays").text
    card = re.search(rf'data-hearing="{replay.hearing_id}" data-state="(\w+)">.*?回放：(.*?)</', page, re.S)
    assert card is not None, page
    return card[1], re.sub(r"<[^>]*>", "", card[2]).strip()


def test_the_replay_plays_the_masked_picture_with_the_archived_sound(masked_replay: MaskedReplay) -> None:
    names = _segments(masked_replay)
    assert masked_replay.run_job() == len(names) >= 2
    assert _staff_state(masked_replay) == ("available", "公开中")
    visitor = masked_replay.portal.client()
    page = visitor.get(f"/notices/{masked_replay.notice_id}/replay")
    assert page.status_code == 200 and f'data-playlist="{masked_replay.route}/master.m3u8"' in page.text
    master = visitor.get(f"{masked_replay.route}/master.m3u8").text
    assert f"stream={MICROPHONE}" in master and master.rstrip().endswith(f"stream={CAMERA}")
    playlist = visitor.get(f"{masked_replay.route}/playlist.m3u8", params={"stream": CAMERA}).text
    assert [line.rsplit("/", 1)[-1] for line in playlist.splitlines() if line.endswith(".m4s")] == names

    init = visitor.get(f"{masked_replay.route}/objects/{CAMERA}/init.mp4")
    assert init.status_code == 200 and init.headers["cache-control"] == "no-store"
    archived = load_tracks(masked_replay.store, RECORDING)
    original_init = masked_replay.store.read_bytes(archived.object_key(f"{CAMERA}/init.mp4"))
    for segment in archived.tracks[CAMERA].segments:
        served = visitor.get(f"{masked_replay.route}/objects/{segment.object}")
        assert served.status_code == 200, segment.object
        assert hashlib.sha256(served.content).hexdigest() != segment.sha256  # not the archive's picture
        original = masked_replay.store.read_bytes(archived.object_key(segment.object))
        before, after = _face_detail(original_init, original), _face_detail(init.content, served.content)
        assert len(after) == len(before) and min(before) > 300  # every picture, the face visible before
        assert max(after) < min(before) / 20, (before, after)  # and masked in every one
        with av.open(io.BytesIO(init.content + served.content)) as masked:
            first = next(masked.decode(video=0))
        with av.open(io.BytesIO(original_init + original)) as source:
            assert first.time == pytest.approx(next(source.decode(video=0)).time)  # in step with the sound
    sound = visitor.get(f"{masked_replay.route}/objects/{MICROPHONE}/{names[0]}")
    assert sound.status_code == 302  # the archived microphone, as for any replay

    assert masked_replay.run_job() == 0  # done: the next pass leaves it alone


def test_chromium_plays_the_masked_replay_with_sound(masked_replay: MaskedReplay, chromium: Any) -> None:
    masked_replay.run_job()
    with ServedApp(masked_replay.portal.app) as server:
        page = chromium.new_page()
        page.goto(f"{server.url}/notices/{masked_replay.notice_id}/replay")
        page.wait_for_function("() => document.getElementById('video').readyState >= 2", timeout=30000)
        page.evaluate("() => document.getElementById('video').play()")
        page.wait_for_function("() => document.getElementById('video').currentTime > 1", timeout=30000)
        decoded = page.evaluate(
            "() => { const v = document.getElementById('video');"
            " return [v.webkitAudioDecodedByteCount, v.webkitVideoDecodedByteCount, v.videoWidth]; }"
        )
    assert decoded[0] > 0 and decoded[1] > 0 and decoded[2] == 320, decoded  # picture and sound


def test_a_masked_object_that_does_not_match_its_manifest_is_refused(masked_replay: MaskedReplay) -> None:
    masked_replay.run_job()
    name = _segments(masked_replay)[0]
    key = masked_key(RECORDING, CAMERA, name)
    visitor = masked_replay.portal.client()
    assert visitor.get(f"{masked_replay.route}/objects/{CAMERA}/{name}").status_code == 200
    flipped = bytearray(masked_replay.store.read_bytes(key))
    flipped[len(flipped) // 2] ^= 0x01
    masked_replay.store.replace_bytes(key, bytes(flipped), hashlib.sha256(flipped).hexdigest())
    refused = visitor.get(f"{masked_replay.route}/objects/{CAMERA}/{name}")
    assert refused.status_code == 404 and "完整性" in refused.text
    assert bytes(flipped) not in refused.content
    assert masked_replay.run_job() == 1  # the next pass sees it replaced and masks that segment again
    good = visitor.get(f"{masked_replay.route}/objects/{CAMERA}/{name}")
    assert good.status_code == 200
    # a byte changed beneath the store's interface (its metadata still says the manifest's hash): a
    # segment of one chunk is wholly checked before anything is sent
    flipped = bytearray(good.content)
    flipped[len(flipped) // 2] ^= 0x01
    _put_beneath(masked_replay.store, key, bytes(flipped), hashlib.sha256(good.content).hexdigest())
    refused = visitor.get(f"{masked_replay.route}/objects/{CAMERA}/{name}")
    assert refused.status_code == 404 and "完整性" in refused.text


def _put_beneath(store: ObjectStore, key: str, data: bytes, claimed_sha256: str) -> None:
    """Store ``data`` under ``key`` with metadata claiming ``claimed_sha256`` (a copy gone wrong)."""
    client = make_minio_client(store.config, timeout_seconds=10, pool_size=1)
    metadata = {"sha256": claimed_sha256}
    client.put_object(store.config.bucket, key, io.BytesIO(data), len(data), metadata=metadata)  # type: ignore[arg-type]


def test_a_large_masked_segment_is_streamed_whole_and_a_wrong_copy_is_cut_short(
    masked_replay: MaskedReplay,
) -> None:
    masked_replay.run_job()
    store, name, size = masked_replay.store, _segments(masked_replay)[0], 3 * 256 * 1024 + 17
    data, key = os.urandom(size), masked_key(RECORDING, CAMERA, name)
    sha256 = hashlib.sha256(data).hexdigest()
    store.replace_bytes(key, data, sha256)  # a large masked segment, listed in a new manifest
    manifest = load_manifest(store, RECORDING, CAMERA)
    assert manifest is not None
    listed = dataclasses.replace(manifest, objects={**manifest.objects, name: sha256}).to_bytes()
    store.replace_bytes(masked_key(RECORDING, CAMERA, MANIFEST), listed, hashlib.sha256(listed).hexdigest())
    masked_replay.portal.app.state.portal.masked_manifests.forget(RECORDING)  # as the worker does
    url = f"{masked_replay.route}/objects/{CAMERA}/{name}"
    with ServedApp(masked_replay.portal.app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        with http.stream("GET", url) as whole:
            assert whole.status_code == 200 and whole.headers["content-length"] == str(size)
            received = list(whole.iter_raw())
        assert hashlib.sha256(b"".join(received)).hexdigest() == sha256
        _put_beneath(store, key, data[:1000] + bytes([data[1000] ^ 1]) + data[1001:], sha256)
        cut = bytearray()
        with pytest.raises(httpx.RemoteProtocolError), http.stream("GET", url) as wrong:
            assert wrong.status_code == 200  # the headers left before the last chunk was read
            for chunk in wrong.iter_bytes():
                cut += chunk
        assert 0 < len(cut) < size  # cut short: the wrong copy never arrives whole


def test_the_staff_list_reads_a_manifest_again_only_when_it_may_have_changed(
    masked_replay: MaskedReplay, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal, reads = masked_replay.portal, []
    store = portal.app.state.portal.store
    for method in ("stat", "read_bytes"):
        original = getattr(store, method)

        def counted(key: str, _original: Any = original) -> Any:
            reads.extend([key] if key.endswith(MANIFEST) else [])
            return _original(key)

        monkeypatch.setattr(store, method, counted)
    assert _staff_state(masked_replay)[0] == "preparing" and reads
    seen = len(reads)
    assert _staff_state(masked_replay)[0] == "preparing" and len(reads) == seen  # not read again
    masked_replay.run_job()  # the portal's own worker: the list shows its manifest at once
    assert _staff_state(masked_replay)[0] == "available" and len(reads) > seen
    seen = len(reads)
    assert _staff_state(masked_replay)[0] == "available" and len(reads) == seen
    # written by another process (mask-replays): shows once "being prepared" has expired
    manifest_key = masked_key(RECORDING, CAMERA, MANIFEST)
    manifest = masked_replay.store.read_bytes(manifest_key)
    masked_replay.store.delete(manifest_key)
    portal.clock.advance(timedelta(seconds=READY_SECONDS + 1))
    assert _staff_state(masked_replay)[0] == "preparing"
    masked_replay.store.put_bytes(manifest_key, manifest, hashlib.sha256(manifest).hexdigest())
    assert _staff_state(masked_replay)[0] == "preparing"  # for a few seconds yet
    portal.clock.advance(timedelta(seconds=PREPARING_SECONDS + 1))
    assert _staff_state(masked_replay)[0] == "available"


def test_a_withdrawn_masked_replay_stays_withdrawn(masked_replay: MaskedReplay) -> None:
    portal = masked_replay.portal
    with transaction(portal.db_factory) as db:
        clerk = db.get_one(User, portal.world.users["clerk-a"])
        withdraw_replay(db, actor_of(clerk), masked_replay.hearing_id, "当事人申请", now=portal.clock.now())
    assert masked_replay.run_job() == 0  # nothing is masked for a withdrawn replay
    visitor = portal.client()
    gone = visitor.get(f"/notices/{masked_replay.notice_id}/replay")
    assert gone.status_code == 410 and "已撤回" in gone.text
    name = _segments(masked_replay)[0]
    assert visitor.get(f"{masked_replay.route}/objects/{CAMERA}/{name}").status_code == 404


_JOB = """
import sys, time
from archive.export import load_tracks
from archive.store.object_store import ObjectStore
from archive.store.s3_client import make_minio_client
from archive.store.store_config import StoreConfig
from portal.replays.masking_job import make_masked_rendition
from streaming.public.face_mask import default_mask_factory
from streaming.settings import StreamingSettings

endpoint, access, secret, bucket, recording, stream = sys.argv[1:]
store = ObjectStore(StoreConfig(endpoint=endpoint, access_key=access, secret_key=secret, bucket=bucket))
tracks = load_tracks(store, recording)
def stored(name):
    print("stored", name, flush=True)
    time.sleep(30)  # the test kills the job here, after its first masked object
make_masked_rendition(
    store, tracks, tracks.tracks[stream], default_mask_factory(StreamingSettings()), progress=stored
)
"""


def test_a_job_killed_midway_leaves_no_rendition_and_a_rerun_completes_it(
    masked_replay: MaskedReplay,
) -> None:
    config = masked_replay.store.config
    arguments = [config.endpoint, config.access_key, config.secret_key, config.bucket, RECORDING, CAMERA]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    env["PYTHONPATH"] = str(ROOT)
    job = subprocess.Popen(
        [sys.executable, "-c", _JOB, *arguments], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        assert job.stdout is not None
        line = job.stdout.readline()
        assert line.startswith("stored "), line
    finally:
        os.kill(job.pid, signal.SIGKILL)
        job.wait(timeout=10)
    first = line.split()[1]
    assert masked_replay.store.stat(masked_key(RECORDING, CAMERA, first)) is not None
    assert masked_replay.store.stat(masked_key(RECORDING, CAMERA, MANIFEST)) is None
    visitor = masked_replay.portal.client()
    assert "处理中" in visitor.get(f"/notices/{masked_replay.notice_id}/replay").text  # partial: not served
    assert visitor.get(f"{masked_replay.route}/objects/{CAMERA}/{first}").status_code == 404

    outcomes = masked_replay.portal.app.state.masked_replays.run_pass()
    names = _segments(masked_replay)
    assert [(o.masked, o.reused) for o in outcomes] == [(len(names) - 1, 1)]
    manifest = load_manifest(masked_replay.store, RECORDING, CAMERA)
    assert manifest is not None and set(manifest.objects) == {"init.mp4", *names}
    for name in ("init.mp4", *names):
        assert visitor.get(f"{masked_replay.route}/objects/{CAMERA}/{name}").status_code == 200, name


def test_the_mask_replays_command_makes_the_rendition(
    masked_replay: MaskedReplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``python -m portal mask-replays``, run in process on the portal's database, store and clock
    # (the hearing ended by the portal's frozen clock; by the system clock its grace still runs)
    config, portal = masked_replay.store.config, masked_replay.portal
    for name in [name for name in os.environ if name.startswith("COURTREC_")]:
        monkeypatch.delenv(name)
    env = {
        "COURTREC_ENVIRONMENT": "development",
        "COURTREC_DATABASE_URL": portal.app.state.portal.settings.resolved_database_url(),
        "COURTREC_S3_ENDPOINT": config.endpoint,
        "COURTREC_S3_ACCESS_KEY": config.access_key,
        "COURTREC_S3_SECRET_KEY": config.secret_key,
        "COURTREC_S3_BUCKET": config.bucket,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert cli_main(["mask-replays", "--data", str(tmp_path / "cli")], clock=portal.clock) == 0
    made = json.loads(output.getvalue())
    assert made == [{"recording": RECORDING, "masked": len(_segments(masked_replay)), "reused": 0}]
    assert load_manifest(masked_replay.store, RECORDING, CAMERA) is not None
    assert _staff_state(masked_replay) == ("available", "公开中")
