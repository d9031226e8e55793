"""One position fix: where a receiver was, when it says it was there, and when we heard it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["PositionFix"]


@dataclass(frozen=True, slots=True)
class PositionFix:
    """A WGS 84 position from a position source.

    ``lat``/``lon`` in decimal degrees; ``altitude_m`` above the ellipsoid or mean sea level as the
    receiver reports it; ``speed_mps`` over ground in metres per second; ``heading_deg`` true course,
    0 <= h < 360; ``accuracy_m`` the receiver's horizontal error estimate in metres. ``fix_time`` is
    the receiver's UTC time of the fix, ``received_at`` the device's UTC clock when the fix arrived
    (both timezone-aware: the two differ by the receiver's latency and the device's clock error).

    Raises ValueError naming the field for a value out of range, non-finite, or a naive time.
    """

    lat: float
    lon: float
    fix_time: datetime
    received_at: datetime
    altitude_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    accuracy_m: float | None = None

    def __post_init__(self) -> None:
        _check_range("lat", self.lat, -90.0, 90.0)
        _check_range("lon", self.lon, -180.0, 180.0)
        if self.altitude_m is not None:
            _check_range("altitude_m", self.altitude_m, -12_000.0, 100_000.0)
        if self.speed_mps is not None:
            _check_range("speed_mps", self.speed_mps, 0.0, 1_000.0)
        if self.heading_deg is not None:
            _check_range("heading_deg", self.heading_deg, 0.0, 360.0)
        if self.accuracy_m is not None:
            _check_range("accuracy_m", self.accuracy_m, 0.0, 1_000_000.0)
        for name in ("fix_time", "received_at"):
            value = getattr(self, name)
            if value.utcoffset() != timedelta(0):
                raise ValueError(f"'{name}' must be a UTC time with its timezone (got {value!r})")


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"'{name}' must be between {low:g} and {high:g} (got {value!r})")
