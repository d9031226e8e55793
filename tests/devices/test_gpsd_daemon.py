"""The gpsd source against the real gpsd: Debian's gpsfake replays an NMEA log through a gpsd it starts
on a free port (``make gpsd`` installs both)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devices import SourceOpenError, open_position_source, parse_position_spec
from devices.position import PositionSource
from tests.devices.nmea_text import gga, rmc

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 3, 8, 30, 0, tzinfo=UTC)


@pytest.fixture
def gpsfake(tmp_path: Path) -> Iterator[int]:
    """A real gpsd fed a 10-second walk north (looped), on a free loopback port; yields the port."""
    if shutil.which("gpsfake") is None:
        pytest.skip("gpsfake is not installed: make gpsd (apt-get install gpsd gpsd-clients)")
    lines = []
    for second in range(10):
        at, lat = T0 + timedelta(seconds=second), 31.2304 + second * 1e-4
        lines += [gga(at, lat, 121.4737), rmc(at, lat, 121.4737)]
    log = tmp_path / "walk.nmea"
    log.write_text("\r\n".join(lines) + "\r\n")
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["gpsfake", "-q", "-c", "0.05", "-P", str(port), str(log)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # gpsfake starts gpsd: both go at the end
    )
    try:
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: gpsfake and the gpsd it started
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _connect(port: int) -> PositionSource:
    deadline = time.monotonic() + 15
    while True:
        try:
            return open_position_source(parse_position_spec(f"gpsd://127.0.0.1:{port}"))
        except SourceOpenError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # gpsfake is still starting its gpsd


def test_fixes_from_a_real_gpsd(gpsfake: int) -> None:
    source = _connect(gpsfake)
    fixes = []
    for fix in source.fixes():
        if fix.fix_time.date() == T0.date() and fix.fix_time.hour == T0.hour:
            fixes.append(fix)  # gpsd's first report of a cycle may carry no time: dated on receipt
        if len(fixes) == 5:
            break
    source.close()
    assert source.bad_sentences == 0
    for fix in fixes:
        second = round((fix.fix_time - T0).total_seconds())
        assert 0 <= second < 10
        assert fix.lat == pytest.approx(31.2304 + second * 1e-4, abs=1e-6)
        assert fix.lon == pytest.approx(121.4737, abs=1e-6)
        assert fix.altitude_m == pytest.approx(20.5)  # altHAE: 12.5 m above the geoid + 8.0 m geoid
        assert fix.speed_mps is not None and fix.speed_mps == pytest.approx(2.9 * 1852 / 3600, abs=0.01)
        assert fix.accuracy_m is not None and fix.accuracy_m > 0
    assert len({fix.fix_time for fix in fixes}) == len(fixes)
