"""A bodycam's GPS track as evidence, end to end: `python -m capture record --gps synthetic-track#…`
archives a ``gps`` stream beside the media (sealed, journaled, uploaded), `archive verify` passes and
fails once a position changes (in the bucket or on the spool before upload), and the BagIt export
holds the track as GeoJSON and GPX."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree

import bagit
import pytest

from archive.export.bag import export_bag
from archive.formats import parse_position_lines
from archive.preservation.verify import find_prefix, verify_recording
from archive.spool import Uploader, UploadQueue, UploadState, queue_path
from archive.store.object_store import ObjectStore
from archive.store.sites import Site
from tests.waiting import wait_until

from .conftest import SMALL_VIDEO, RunAgent, RunHere, copy_bucket, journal_events, run_module

pytestmark = pytest.mark.integration

TRACK = "synthetic-track#lat=31.2304&lon=121.4737&speed=1.5&rate=2"


def _record(spool: Path, recording_id: str, run: RunAgent | None = None, seconds: int = 4) -> None:
    """Record ``seconds`` (4: two 2-s position segments, all the tamper tests need) with a track."""
    arguments = [
        "record", "--room", "bodycam-7", "--recording-id", recording_id, "--spool", str(spool),
        "--duration", str(seconds), "--segment-seconds", "2", "--source", SMALL_VIDEO, "--gps", TRACK,
    ]  # fmt: skip
    result = run(*arguments) if run is not None else run_module("capture", arguments, None)
    assert result.returncode == 0, result.stderr


def _gps_segments(spool: Path, recording_id: str) -> list[dict[str, object]]:
    return [e for e in journal_events(spool, recording_id) if e["type"] == "segment" and e["stream"] == "gps"]


def _edit_coordinate(data: bytes) -> bytes:
    """Move the first fix 0.0001 degrees north (about 11 m), keeping the line valid GeoJSON."""
    first, _, rest = data.partition(b"\n")
    feature = json.loads(first)
    feature["geometry"]["coordinates"][1] = round(feature["geometry"]["coordinates"][1] + 0.0001, 7)
    edited = json.dumps(feature, sort_keys=True, separators=(",", ":")).encode()
    assert edited != first
    return edited + b"\n" + rest


class Recorded(NamedTuple):
    store: ObjectStore
    spool: Path


@pytest.fixture(scope="module")
def recorded_track(tmp_path_factory: pytest.TempPathFactory, module_object_store: ObjectStore) -> Recorded:
    """7 s of a camera with a track, recorded once into the module's bucket; a test that edits it
    edits its own copy (``copy_bucket``)."""
    spool = tmp_path_factory.mktemp("recorded-track") / "spool"
    _record(spool, "rec-gps", lambda *a: run_module("capture", a, module_object_store.config), seconds=7)
    return Recorded(module_object_store, spool)


def test_a_recorded_track_archives_verifies_and_exports_as_geojson_and_gpx(
    tmp_path: Path, recorded_track: Recorded
) -> None:
    spool, object_store = recorded_track.spool, recorded_track.store
    report = verify_recording(object_store, "rec-gps")
    assert report.intact, report.problems
    assert "gps" in report.streams

    events = journal_events(spool, "rec-gps")
    start = next(e for e in events if e["type"] == "start")
    declared = {s["name"]: s for s in start["streams"]}  # type: ignore[attr-defined]
    assert declared["gps"]["data"] == {"kind": "position", "format": "geojson-lines"}
    segments = _gps_segments(spool, "rec-gps")
    assert [s["segment"] for s in segments] == list(range(1, len(segments) + 1))
    assert len(segments) >= 3 and all(s["init"] is None for s in segments)
    prefix = find_prefix(object_store, "rec-gps")
    fixes = []
    for segment in segments:
        data = object_store.read_bytes(f"{prefix}/{segment['object']}")
        assert hashlib.sha256(data).hexdigest() == segment["sha256"]
        fixes += parse_position_lines(data, where=str(segment["object"]))
    assert len(fixes) >= 10  # 2 fixes a second for about 7 s
    assert len({(f.lat, f.lon) for f in fixes}) == len(fixes)  # it moves
    assert fixes[0].lat == 31.2304 and fixes[0].lon == 121.4737
    assert not list((spool / "recordings" / "rec-gps" / "gps").glob("*.geojsonl"))  # uploaded, removed

    result = export_bag([Site("primary", object_store)], "rec-gps", tmp_path / "out")
    bag = bagit.Bag(str(result.bag_dir))
    bag.validate(fast=False)
    assert "data/rec-gps-gps.geojson" in bag.payload_files()
    assert "data/rec-gps-gps.gpx" in bag.payload_files()
    collection = json.loads((result.bag_dir / "data" / "rec-gps-gps.geojson").read_text())
    path = collection["features"][0]
    assert path["geometry"]["type"] == "LineString"
    assert path["geometry"]["coordinates"] == [[f.lon, f.lat] for f in fixes]
    gpx = ElementTree.parse(result.bag_dir / "data" / "rec-gps-gps.gpx").getroot()
    points = gpx.findall(".//{http://www.topografix.com/GPX/1/1}trkpt")
    assert len(points) == len(fixes)
    assert float(points[-1].attrib["lat"]) == pytest.approx(fixes[-1].lat, abs=1e-7)
    custody = json.loads((result.bag_dir / "courtrec" / "custody.json").read_text())
    assert set(custody["derived_files"]) == {"data/rec-gps-gps.geojson", "data/rec-gps-gps.gpx"}
    assert result.mp4.stat().st_size > 0  # the media still joins with a data stream beside it


def test_an_edited_position_in_the_bucket_fails_verify(
    recorded_track: Recorded, object_store: ObjectStore, run_archive_here: RunHere
) -> None:
    copy_bucket(recorded_track.store, object_store)
    prefix = find_prefix(object_store, "rec-gps")
    segments = _gps_segments(recorded_track.spool, "rec-gps")
    edited, flipped = f"{prefix}/{segments[0]['object']}", f"{prefix}/{segments[1]['object']}"
    for key, change in ((edited, _edit_coordinate), (flipped, _flip_byte)):
        data = change(object_store.read_bytes(key))
        object_store.delete(key)
        object_store.put_bytes(key, data, hashlib.sha256(data).hexdigest())

    verify = run_archive_here("verify", "rec-gps", config=object_store.config)
    assert verify.returncode == 1
    for key in (edited, flipped):
        assert any(key in line and "SHA-256 mismatch" in line for line in verify.stdout.splitlines()), (
            verify.stdout
        )


def _flip_byte(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    return bytes(changed)


def test_a_position_edited_on_the_spool_is_never_uploaded_and_verify_fails(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    _record(spool, "rec-gps-spool")  # no store: everything waits on the spool
    segment = _gps_segments(spool, "rec-gps-spool")[0]
    local = spool / "recordings" / "rec-gps-spool" / str(segment["object"])
    tampered = _edit_coordinate(local.read_bytes())
    local.write_bytes(tampered)

    queue = UploadQueue(queue_path(spool))
    alarms: list[str] = []
    uploader = Uploader(queue, object_store, on_integrity_alarm=lambda _item, message: alarms.append(message))
    uploader.start()
    try:
        wait_until(lambda: queue.counts("rec-gps-spool")[UploadState.CORRUPT], 60, "the corrupt entry")
        # everything else uploads; the journal chunk naming the tampered segment waits for it forever
        wait_until(lambda: queue.pending_count() <= 1, 60, "the other uploads")
    finally:
        uploader.stop()
        queue.close()
    assert any("changed after sealing" in message for message in alarms), alarms
    assert local.read_bytes() == tampered  # the evidence of tampering is kept, not deleted
    key = f"{find_prefix(object_store, 'rec-gps-spool')}/{segment['object']}"
    assert object_store.stat(key) is None
    problems = verify_recording(object_store, "rec-gps-spool").problems
    assert problems, "a recording missing a tampered position must not verify"
