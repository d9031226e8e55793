"""The GPS receiver is not there when recording starts (gpsd not answering): the recording starts anyway,
``position_lost`` is journaled, the source is retried, and once gpsd answers the alarm clears and its
positions are sealed into the ``gps`` stream. Real gpsd-protocol server over TCP, real encoder."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.formats import parse_position_lines
from capture.recording.recorder import Recorder, RecordingPlan
from capture.recording.stream.stream_pipeline import StreamSettings
from devices import parse_position_spec, parse_source_spec
from tests.capture.conftest import SMALL_VIDEO, journal_events
from tests.devices.gpsd_server import GpsdServer
from tests.devices.nmea_text import gga, rmc
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def _tpv(lat: float) -> bytes:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    report = {"class": "TPV", "mode": 2, "time": now, "lat": lat, "lon": 121.4737, "eph": 6.0}
    return json.dumps(report).encode() + b"\n"


def test_a_missing_receiver_is_journaled_retried_and_recovered(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # nobody listens here yet
    plan = RecordingPlan(
        recording_id="rec-gps-lost",
        court="court-x",
        room="bodycam-1",
        device_id="dev-1",
        spool=tmp_path / "spool",
        sources=[parse_source_spec(SMALL_VIDEO)],
        position=parse_position_spec(f"gpsd://127.0.0.1:{port}"),
        stream=StreamSettings(segment_seconds=2),
    )
    recorder = Recorder(plan, None)
    recorder.start()
    server = None
    try:
        spool = plan.spool

        def alarms() -> list[dict[str, object]]:
            return [e for e in journal_events(spool, "rec-gps-lost") if e["type"] == "alarm"]

        wait_until(
            lambda: any(a["condition"] == "position_lost" and a["active"] for a in alarms()), 10, "the alarm"
        )
        assert recorder.position_track is not None and recorder.position_track.latest is None
        server = GpsdServer([_tpv(31.2304 + n * 1e-4) for n in range(5)], port=port)
        wait_until(
            lambda: any(a["condition"] == "position_lost" and not a["active"] for a in alarms()), 30, "clear"
        )
        wait_until(lambda: recorder.position_track is not None and recorder.position_track.latest, 5, "a fix")
    finally:
        recorder.stop()
        if server is not None:
            server.close()
    events = journal_events(plan.spool, "rec-gps-lost")
    lost = next(e for e in events if e["type"] == "alarm" and e["condition"] == "position_lost")
    assert f"127.0.0.1:{port}" in str(lost["detail"])
    segments = [e for e in events if e["type"] == "segment" and e["stream"] == "gps"]
    assert segments, "the positions received after the alarm cleared are sealed"
    records = []
    for segment in segments:
        records += parse_position_lines(
            (plan.spool / "recordings" / "rec-gps-lost" / str(segment["object"])).read_bytes(), where="gps"
        )
    assert [round(r.lat, 4) for r in records] == [round(31.2304 + n * 1e-4, 4) for n in range(5)]
    assert all(r.accuracy_m == 6.0 for r in records)


def test_a_segment_sealed_but_not_journaled_before_a_crash_is_journaled_on_restart(tmp_path: Path) -> None:
    plan = RecordingPlan(
        recording_id="rec-gps-crash",
        court="court-x",
        room="bodycam-1",
        device_id="dev-1",
        spool=tmp_path / "spool",
        sources=[parse_source_spec(SMALL_VIDEO)],
        position=parse_position_spec("synthetic-track#rate=5"),
        stream=StreamSettings(segment_seconds=2),
    )
    first = Recorder(plan, None)
    first.start()
    wait_until(
        lambda: first.position_track is not None and first.position_track.segments_sealed, 10, "a segment"
    )
    first.stop()
    gps_dir = plan.spool / "recordings" / "rec-gps-crash" / "gps"
    sealed = sorted(gps_dir.glob("*.geojsonl"))
    # the crash: the next segment was written durably, the process died before journaling it
    leftover = gps_dir / f"{len(sealed) + 1:08d}.geojsonl"
    leftover.write_bytes(sealed[-1].read_bytes())

    second = Recorder(plan, None)
    second.start()
    wait_until(
        lambda: second.position_track is not None and second.position_track.segments_sealed, 10, "a segment"
    )
    second.stop()
    segments = [
        e
        for e in journal_events(plan.spool, "rec-gps-crash")
        if e["type"] == "segment" and e["stream"] == "gps"
    ]
    assert [s["segment"] for s in segments] == list(range(1, len(segments) + 1))
    recovered = [s for s in segments if s["flags"] == ["recovered"]]
    assert [s["object"] for s in recovered] == [f"gps/{leftover.name}"]
    assert len(segments) > len(sealed) + 1  # recording went on after it


def test_a_replayed_nmea_log_is_recorded_once_and_its_end_is_no_alarm(tmp_path: Path) -> None:
    t0 = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    lines = []
    for second in range(10):
        at, lat = t0 + timedelta(seconds=second), 31.2304 + second * 1e-4
        lines += [gga(at, lat, 121.4737), rmc(at, lat, 121.4737)]
    lines.insert(5, "$GPRMC,corrupt*00")
    log = tmp_path / "walk.nmea"
    log.write_text("\r\n".join(lines) + "\r\n")
    plan = RecordingPlan(
        recording_id="rec-gps-file",
        court="court-x",
        room="bodycam-1",
        device_id="dev-1",
        spool=tmp_path / "spool",
        sources=[parse_source_spec(SMALL_VIDEO)],
        position=parse_position_spec(f"nmea-file:{log}#realtime=0"),
        stream=StreamSettings(segment_seconds=2),
    )
    recorder = Recorder(plan, None)
    recorder.start()
    wait_until(
        lambda: recorder.position_track is not None and recorder.position_track.segments_sealed, 10, "sealed"
    )
    recorder.stop()
    events = journal_events(plan.spool, "rec-gps-file")
    assert not [e for e in events if e["type"] == "alarm" and e["condition"] == "position_lost"]
    records = []
    for segment in [e for e in events if e["type"] == "segment" and e["stream"] == "gps"]:
        path = plan.spool / "recordings" / "rec-gps-file" / str(segment["object"])
        records += parse_position_lines(path.read_bytes(), where="gps")
    assert [r.fix_datetime for r in records] == [t0 + timedelta(seconds=s) for s in range(10)]
    assert all(r.altitude_m == 12.5 for r in records)
