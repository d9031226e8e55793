"""Position sources against real inputs: spec parsing, NMEA decoding (checksums, garbage), an NMEA
file, a serial receiver on a pseudo-terminal, a gpsd-protocol TCP server, the synthetic track."""

from __future__ import annotations

import json
import os
import socket
import threading
import tty
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import (
    DeviceNotFoundError,
    PositionKind,
    PositionSpecError,
    SourceOpenError,
    open_position_source,
    parse_position_spec,
)
from devices.position import NmeaDecoder, PositionFix
from devices.position.gpsd_source import WATCH_COMMAND, decode_gpsd_line
from tests.devices.gpsd_server import GpsdServer
from tests.devices.nmea_text import checksummed, gga, rmc

T0 = datetime(2026, 12, 3, 8, 30, 0, tzinfo=UTC)
SHANGHAI = (31.2304, 121.4737)


# --- specs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "canonical"),
    [
        ("gpsd://127.0.0.1:2948", PositionKind.GPSD, "gpsd://127.0.0.1:2948"),
        ("gpsd://gps.local", PositionKind.GPSD, "gpsd://gps.local:2947"),
        ("nmea:/dev/ttyUSB0?baud=4800", PositionKind.NMEA, "nmea:/dev/ttyUSB0#baud=4800"),
        ("nmea:/dev/ttyACM0#baud=9600", PositionKind.NMEA, "nmea:/dev/ttyACM0#baud=9600"),
        ("nmea-file:/tmp/a.nmea#realtime=0", PositionKind.NMEA_FILE, "nmea-file:/tmp/a.nmea#realtime=0"),
        (
            "synthetic-track#lat=31.2304&lon=121.4737&speed=1.5",
            PositionKind.SYNTHETIC_TRACK,
            "synthetic-track#lat=31.2304&lon=121.4737&speed=1.5",
        ),
        ("31.2304,121.4737", PositionKind.FIXED, "fixed:31.2304,121.4737"),
        ("fixed:-33.9,18.4#rate=2", PositionKind.FIXED, "fixed:-33.9,18.4#rate=2"),
    ],
)
def test_good_specs_parse_to_their_canonical_form(text: str, kind: PositionKind, canonical: str) -> None:
    spec = parse_position_spec(text)
    assert spec.kind is kind
    assert spec.canonical == canonical
    assert parse_position_spec(spec.canonical) == spec


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "empty"),
        ("glonass://x", "unknown kind 'glonass'"),
        ("gpsd:host", "gpsd://HOST"),
        ("gpsd://:2947", "no host"),
        ("gpsd://h:99999", "malformed"),
        ("nmea:ttyUSB0", "serial device path"),
        ("nmea:/dev/ttyUSB0?baud=4801", "option 'baud' must be one of"),
        ("nmea:/dev/ttyUSB0?baud=4800#baud=9600", "not both"),
        ("nmea-file:", "empty location"),
        ("synthetic-track#lat=91", "option 'lat' must be a latitude"),
        ("synthetic-track#speed=fast", "option 'speed'"),
        ("synthetic-track#colour=red", "unknown option 'colour'"),
        ("synthetic-track#rate=1&rate=2", "given twice"),
        ("91.0,121.0", "the latitude"),
        ("31.2,181", "the longitude"),
        ("31.2;121.4", "unknown kind"),
    ],
)
def test_bad_specs_are_refused_naming_what_was_wrong(text: str, named: str) -> None:
    with pytest.raises(PositionSpecError) as caught:
        parse_position_spec(text)
    message = str(caught.value)
    assert named in message
    assert "accepted forms" in message


# --- NMEA decoding -----------------------------------------------------------------------------


def test_rmc_and_gga_of_one_epoch_merge_into_one_fix() -> None:
    received = T0 + timedelta(seconds=0.3)
    decoder = NmeaDecoder(now=lambda: received)
    assert decoder.feed(gga(T0, *SHANGHAI, altitude=12.5)) is None
    assert decoder.feed(rmc(T0, *SHANGHAI, knots=2.9, course=45.0)) is None
    assert decoder.feed(checksummed("GPGSV,1,1,01,05,40,083,46")) is None  # ignored, not bad
    fix = decoder.feed(rmc(T0 + timedelta(seconds=1), *SHANGHAI, talker="GN"))
    assert fix is not None
    assert fix.lat == pytest.approx(SHANGHAI[0], abs=1e-6)
    assert fix.lon == pytest.approx(SHANGHAI[1], abs=1e-6)
    assert fix.altitude_m == 12.5
    assert fix.speed_mps == pytest.approx(2.9 * 1852 / 3600, abs=1e-3)
    assert fix.heading_deg == 45.0
    assert fix.fix_time == T0
    assert fix.received_at == received
    assert decoder.bad_sentences == 0
    last = decoder.flush()
    assert last is not None and last.fix_time == T0 + timedelta(seconds=1)


def test_a_void_rmc_gives_no_fix() -> None:
    decoder = NmeaDecoder()
    void = checksummed("GPRMC,083000.00,V,,,,,,,031226,,,N")
    assert decoder.feed(void) is None
    assert decoder.flush() is None
    assert decoder.bad_sentences == 0


def test_a_wrong_checksum_is_counted_and_skipped() -> None:
    decoder = NmeaDecoder()
    good = rmc(T0, *SHANGHAI)
    wrong = good[:-2] + ("00" if good[-2:] != "00" else "01")
    missing = good.rpartition("*")[0]
    edited = good.replace("3113", "3114", 1)  # a coordinate changed, checksum left alone
    for line in (wrong, missing, edited):
        assert decoder.feed(line) is None
    assert decoder.flush() is None
    assert decoder.bad_sentences == 3


def _sentences() -> st.SearchStrategy[list[str]]:
    starts = st.integers(min_value=0, max_value=3600)
    return st.lists(starts.map(lambda s: rmc(T0 + timedelta(seconds=s), *SHANGHAI)), min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(garbage=st.lists(st.one_of(st.binary(max_size=120), st.text(max_size=120)), max_size=8))
def test_garbage_never_raises_and_never_makes_a_fix(garbage: list[bytes | str]) -> None:
    decoder = NmeaDecoder()
    for line in garbage:
        assert decoder.feed(line) is None
    assert decoder.flush() is None
    assert decoder.bad_sentences + decoder.sentences <= len(garbage)


@settings(max_examples=100, deadline=None)
@given(
    lines=_sentences(),
    position=st.integers(min_value=1, max_value=60),
    flip=st.integers(min_value=1, max_value=0x7F),
)
def test_any_changed_character_fails_the_checksum(lines: list[str], position: int, flip: int) -> None:
    """A sentence with one character changed between '$' and '*' never yields its position."""
    decoder = NmeaDecoder()
    target = lines[0]
    star = target.rindex("*")
    index = 1 + position % (star - 1)
    changed = chr(ord(target[index]) ^ flip)
    tampered = target[:index] + changed + target[index + 1 :]
    if tampered == target or not changed.isprintable():
        return
    decoder.feed(tampered)
    assert decoder.flush() is None
    assert decoder.bad_sentences == 1


@settings(max_examples=100, deadline=None)
@given(
    noise=st.lists(st.binary(min_size=1, max_size=90), max_size=6),
    count=st.integers(min_value=1, max_value=6),
)
def test_good_sentences_survive_garbage_between_them(noise: list[bytes], count: int) -> None:
    decoder = NmeaDecoder()
    fixes: list[PositionFix] = []
    for second in range(count):
        for chunk in noise:
            decoder.feed(chunk.replace(b"\n", b" "))
        found = decoder.feed(rmc(T0 + timedelta(seconds=second), *SHANGHAI))
        if found is not None:
            fixes.append(found)
    last = decoder.flush()
    if last is not None:
        fixes.append(last)
    assert [fix.fix_time for fix in fixes] == [T0 + timedelta(seconds=s) for s in range(count)]


# --- sources -----------------------------------------------------------------------------------


def _nmea_lines(seconds: int) -> list[str]:
    lines = []
    for second in range(seconds):
        at = T0 + timedelta(seconds=second)
        lat, lon = SHANGHAI[0] + second * 1e-4, SHANGHAI[1] + second * 1e-4
        lines += [gga(at, lat, lon), rmc(at, lat, lon)]
    return lines


def _take(source_fixes: Iterator[PositionFix], count: int) -> list[PositionFix]:
    taken = []
    for fix in source_fixes:
        taken.append(fix)
        if len(taken) == count:
            break
    return taken


def test_nmea_file_yields_every_epoch_and_counts_garbage(tmp_path: Path) -> None:
    lines = _nmea_lines(5)
    lines.insert(3, "$GPRMC,garbage*00")
    lines.insert(6, "\x00\x01binary noise")
    path = tmp_path / "walk.nmea"
    path.write_text("\r\n".join(lines) + "\r\n")
    source = open_position_source(parse_position_spec(f"nmea-file:{path}#realtime=0"))
    fixes = list(source.fixes())
    assert [fix.fix_time for fix in fixes] == [T0 + timedelta(seconds=s) for s in range(5)]
    assert fixes[4].lat == pytest.approx(SHANGHAI[0] + 4e-4, abs=1e-6)
    assert source.bad_sentences == 2


def test_nmea_file_that_is_missing_is_named(tmp_path: Path) -> None:
    with pytest.raises(DeviceNotFoundError, match=r"no\.nmea"):
        open_position_source(parse_position_spec(f"nmea-file:{tmp_path / 'no.nmea'}"))


def test_serial_receiver_on_a_pseudo_terminal() -> None:
    controller, device = os.openpty()
    tty.setraw(controller)
    try:
        source = open_position_source(parse_position_spec(f"nmea:{os.ttyname(device)}?baud=4800"))
        lines = _nmea_lines(4)

        def receiver() -> None:
            for line in lines[:4]:
                os.write(controller, (line + "\r\n").encode())
            os.write(controller, b"$GPGGA,bad*11\r\n")  # a corrupt sentence between good ones
            for line in lines[4:]:
                os.write(controller, (line + "\r\n").encode())

        writer = threading.Thread(target=receiver, daemon=True)
        writer.start()
        fixes = _take(source.fixes(), 3)  # the 4th epoch completes only when a 5th begins
        source.close()
        writer.join(timeout=5)  # its last lines fit the pty's buffer; never close under it
        assert not writer.is_alive()
        assert [fix.fix_time for fix in fixes] == [T0 + timedelta(seconds=s) for s in range(3)]
        assert source.bad_sentences == 1
    finally:
        os.close(controller)
        os.close(device)


def test_serial_device_that_is_missing_is_named() -> None:
    with pytest.raises(DeviceNotFoundError, match="/dev/ttyNOPE9"):
        open_position_source(parse_position_spec("nmea:/dev/ttyNOPE9"))


def _tpv(second: int, **extra: object) -> bytes:
    at = T0 + timedelta(seconds=second)
    report = {
        "class": "TPV",
        "device": "/dev/ttyUSB0",
        "mode": 3,
        "time": at.isoformat().replace("+00:00", ".000Z"),
        "lat": SHANGHAI[0] + second * 1e-4,
        "lon": SHANGHAI[1],
        "altHAE": 20.5,
        "speed": 1.25,
        "track": 90.0,
        "eph": 4.2,
        **extra,
    }
    return json.dumps(report).encode() + b"\n"


def test_gpsd_protocol_over_tcp() -> None:
    lines = [
        _tpv(0),
        b'{"class":"TPV","mode":1}\n',  # no fix yet: skipped, not bad
        b"this is not json\n",
        _tpv(1, lat=95.0),  # impossible: bad
        b'{"class":"SKY","satellites":[]}\n',
        _tpv(2),
    ]
    server = GpsdServer(lines)
    try:
        source = open_position_source(parse_position_spec(f"gpsd://127.0.0.1:{server.port}"))
        fixes = _take(source.fixes(), 2)
        source.close()
    finally:
        server.close()
    assert server.watch == WATCH_COMMAND
    assert [fix.fix_time for fix in fixes] == [T0, T0 + timedelta(seconds=2)]
    first = fixes[0]
    assert (first.lat, first.altitude_m, first.speed_mps, first.heading_deg, first.accuracy_m) == (
        SHANGHAI[0],
        20.5,
        1.25,
        90.0,
        4.2,
    )
    assert source.bad_sentences == 2


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_TPV_FIELDS = st.fixed_dictionaries(
    {"class": st.just("TPV")},
    optional={key: _JSON for key in ("mode", "lat", "lon", "alt", "altHAE", "speed", "track", "eph", "time")},
)


@settings(max_examples=100, deadline=None)
@given(report=st.one_of(_TPV_FIELDS, _JSON), raw=st.binary(max_size=64))
def test_any_gpsd_line_gives_a_fix_none_or_a_value_error(report: object, raw: bytes) -> None:
    for line in (json.dumps(report).encode(), raw):
        try:
            fix = decode_gpsd_line(line, T0)
        except ValueError:
            continue
        assert fix is None or (-90 <= fix.lat <= 90 and -180 <= fix.lon <= 180)


def test_gpsd_that_cannot_be_reached_is_named() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(SourceOpenError, match=f"127.0.0.1:{port}"):
        open_position_source(parse_position_spec(f"gpsd://127.0.0.1:{port}"))


def test_synthetic_track_is_deterministic_and_moves() -> None:
    spec = parse_position_spec("synthetic-track#lat=31.2304&lon=121.4737&speed=1.5&realtime=0")
    runs = []
    for _ in range(2):
        source = open_position_source(spec)
        runs.append([(fix.lat, fix.lon, fix.heading_deg) for fix in _take(source.fixes(), 20)])
        source.close()
    assert runs[0] == runs[1]
    points = runs[0]
    assert points[0][:2] == SHANGHAI
    assert len({(lat, lon) for lat, lon, _ in points}) == 20
    # about 1.5 m per second: 19 steps of 1.5 m along a gentle curve
    north_m = (points[-1][0] - points[0][0]) * 111_195
    assert 10 < north_m < 28.5


def test_fixed_position_repeats_its_point() -> None:
    source = open_position_source(parse_position_spec("31.2304,121.4737#rate=10"))
    fixes = _take(source.fixes(), 2)
    source.close()
    assert [(f.lat, f.lon) for f in fixes] == [SHANGHAI, SHANGHAI]
