"""The ``--gps`` option shared by ``capture record`` and ``capture bodycam``: every source form parses,
today's fixed ``LAT,LON`` still works (reported live, never archived as a measured track), and a bad
value is refused naming what was wrong."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from capture.live import gps_fix
from capture.recording.position_option import add_gps_option, position_spec_from_args
from capture.recording.position_track import GPS_STREAM, PositionTrack
from devices import PositionFix, PositionKind, PositionSpecError
from timebase import SystemClock


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_gps_option(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("value", "kind", "recorded"),
    [
        ("gpsd://127.0.0.1:2947", PositionKind.GPSD, True),
        ("nmea:/dev/ttyUSB0?baud=4800", PositionKind.NMEA, True),
        ("nmea-file:/var/lib/courtrec/walk.nmea", PositionKind.NMEA_FILE, True),
        ("synthetic-track#lat=31.2304&lon=121.4737&speed=1.5", PositionKind.SYNTHETIC_TRACK, True),
        ("31.2304,121.4737", PositionKind.FIXED, False),
    ],
)
def test_every_form_parses_and_only_measured_positions_are_archived(
    value: str, kind: PositionKind, recorded: bool
) -> None:
    spec = position_spec_from_args(_parse("--gps", value))
    assert spec is not None and spec.kind is kind
    track = PositionTrack(spec, SystemClock())
    assert track.recorded is recorded
    declaration = track.declaration()
    assert declaration.name == GPS_STREAM and declaration.video is None and declaration.audio is None
    assert declaration.data is not None and declaration.data.kind == "position"


def test_no_gps_means_no_track() -> None:
    assert position_spec_from_args(_parse()) is None


def test_a_bad_value_is_refused_naming_it() -> None:
    with pytest.raises(PositionSpecError, match=r"'gpsd://host:0'.*port must be 1-65535"):
        position_spec_from_args(_parse("--gps", "gpsd://host:0"))


def test_a_fix_goes_live_with_its_speed_heading_and_time() -> None:
    at = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    fix = PositionFix(31.2304, 121.4737, at, at, speed_mps=1.5, heading_deg=45.0, accuracy_m=4.0)
    live = gps_fix(fix)
    assert live is not None
    assert (live.lat, live.lon, live.speed_mps, live.heading_deg, live.accuracy_m, live.fix_time) == (
        31.2304,
        121.4737,
        1.5,
        45.0,
        4.0,
        at,
    )
    assert gps_fix(None) is None
