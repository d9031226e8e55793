"""Generated positions: a deterministic moving track (tests, demos) and a fixed position (a courtroom)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from devices.pacer import Pacer
from devices.position.fix import PositionFix
from devices.position.spec import PositionKind, PositionSpec

__all__ = ["FixedPosition", "SyntheticTrack", "track_point"]

_EARTH_RADIUS_M = 6_371_008.8
DEFAULT_LAT = 31.2304
DEFAULT_LON = 121.4737


def track_point(
    index: int, *, lat: float, lon: float, speed: float, heading: float, turn: float, rate: float
) -> tuple[float, float, float]:
    """(lat, lon, heading) of fix ``index`` of a track starting at (lat, lon) that moves at
    ``speed`` m/s, starting on ``heading`` degrees and turning ``turn`` degrees per second, sampled
    ``rate`` times a second. Pure: the same arguments always give the same point."""
    step = 1.0 / rate
    for i in range(index):
        bearing = math.radians((heading + turn * i * step) % 360.0)
        distance = speed * step
        lat += math.degrees(distance * math.cos(bearing) / _EARTH_RADIUS_M)
        lon += math.degrees(distance * math.sin(bearing) / (_EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat, lon, (heading + turn * index * step) % 360.0


class SyntheticTrack:
    """``synthetic-track``: fix ``n`` is :func:`track_point` ``n``, emitted ``n / rate`` seconds after
    :meth:`fixes` starts (at once with ``realtime=0``); its fix time is the start time plus that."""

    def __init__(self, spec: PositionSpec, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if spec.kind is not PositionKind.SYNTHETIC_TRACK:
            raise ValueError(f"not a synthetic-track spec: {spec.canonical}")
        self.spec = spec
        self.bad_sentences = 0
        self._now = now
        self._stop = threading.Event()
        self._lat = float(spec.option("lat", str(DEFAULT_LAT)))
        self._lon = float(spec.option("lon", str(DEFAULT_LON)))
        self._speed = float(spec.option("speed", "1.5"))
        self._heading = float(spec.option("heading", "45"))
        self._turn = float(spec.option("turn", "2"))
        self._rate = float(spec.option("rate", "1"))
        self._realtime = spec.option("realtime", "1") == "1"

    def fixes(self) -> Iterator[PositionFix]:
        """Blocking generator of fixes until :meth:`close`."""
        pacer = Pacer(self._stop, realtime=self._realtime)
        start = self._now()
        pacer.start()
        lat, lon, heading, index = self._lat, self._lon, self._heading, 0
        step = 1.0 / self._rate
        while pacer.wait_until(index * step):
            yield PositionFix(
                lat=round(lat, 7),
                lon=round(lon, 7),
                fix_time=start + timedelta(seconds=index * step),
                received_at=self._now(),
                speed_mps=self._speed,
                heading_deg=round(heading, 3),
                accuracy_m=5.0,
            )
            # one step of track_point, kept incremental so a long track costs O(1) per fix
            lat, lon, heading = track_point(
                1, lat=lat, lon=lon, speed=self._speed, heading=heading, turn=self._turn, rate=self._rate
            )
            index += 1

    def close(self) -> None:
        """End :meth:`fixes` (promptly, from any thread); idempotent."""
        self._stop.set()


class FixedPosition:
    """``LAT,LON``: the same position, reported ``rate`` times a second (default 1) until closed."""

    def __init__(self, spec: PositionSpec, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if spec.kind is not PositionKind.FIXED:
            raise ValueError(f"not a fixed position spec: {spec.canonical}")
        self.spec = spec
        self.bad_sentences = 0
        self._now = now
        self._stop = threading.Event()
        self._lat, self._lon = spec.fixed_position
        self._rate = float(spec.option("rate", "1"))

    def fixes(self) -> Iterator[PositionFix]:
        """Blocking generator of fixes until :meth:`close`."""
        pacer = Pacer(self._stop, realtime=True)
        pacer.start()
        index = 0
        while pacer.wait_until(index / self._rate):
            now = self._now()
            yield PositionFix(lat=self._lat, lon=self._lon, fix_time=now, received_at=now)
            index += 1

    def close(self) -> None:
        """End :meth:`fixes` (promptly, from any thread); idempotent."""
        self._stop.set()
