"""The archived GPS track: one segment of a ``position`` stream is GeoJSON Lines (one Feature a line).

Each line is a GeoJSON (RFC 7946) Feature with a Point geometry ``[lon, lat]`` or ``[lon, lat, alt]``
and properties ``fix_time`` (the receiver's UTC time), ``received_at`` (the device's UTC clock when
the fix arrived) and, when known, ``speed_mps``, ``heading_deg``, ``accuracy_m``. Keys are sorted and
separators compact so a segment's bytes depend only on its fixes. Shared by the agent (writes),
the archive (export) and the portal (drawing the trace on playback).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from archive.errors import ArchiveError

__all__ = [
    "POSITION_FORMAT",
    "POSITION_KIND",
    "POSITION_SEGMENT_SUFFIX",
    "PositionRecord",
    "encode_position_lines",
    "parse_position_lines",
    "position_segment_name",
]

POSITION_KIND = "position"
POSITION_FORMAT = "geojson-lines"
POSITION_SEGMENT_SUFFIX = ".geojsonl"
_MAX_LINE_BYTES = 4096


def position_segment_name(seq: int) -> str:
    """The file name of position segment ``seq`` (1-based)."""
    return f"{seq:08d}{POSITION_SEGMENT_SUFFIX}"


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """One archived fix; times are ISO 8601 UTC text as written. Raises ValueError for a value out
    of range or a time without its timezone."""

    lat: float
    lon: float
    fix_time: str
    received_at: str
    altitude_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    accuracy_m: float | None = None

    def __post_init__(self) -> None:
        for name, value, low, high in (
            ("lat", self.lat, -90.0, 90.0),
            ("lon", self.lon, -180.0, 180.0),
            ("altitude_m", self.altitude_m, -12_000.0, 100_000.0),
            ("speed_mps", self.speed_mps, 0.0, 1_000.0),
            ("heading_deg", self.heading_deg, 0.0, 360.0),
            ("accuracy_m", self.accuracy_m, 0.0, 1_000_000.0),
        ):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"'{name}' must be a finite number (got {value!r})")
            if not low <= value <= high:
                raise ValueError(f"'{name}' must be between {low:g} and {high:g} (got {value!r})")
        for name in ("fix_time", "received_at"):
            text = getattr(self, name)
            if not isinstance(text, str):
                raise ValueError(f"'{name}' must be an ISO 8601 time (got {text!r})")
            if datetime.fromisoformat(text).tzinfo is None:
                raise ValueError(f"'{name}' must carry its timezone (got {text!r})")

    @property
    def fix_datetime(self) -> datetime:
        """``fix_time`` as an aware datetime."""
        return datetime.fromisoformat(self.fix_time)

    def feature(self) -> dict[str, object]:
        """This fix as a GeoJSON Point Feature."""
        coordinates = [self.lon, self.lat] + ([] if self.altitude_m is None else [self.altitude_m])
        properties: dict[str, object] = {"fix_time": self.fix_time, "received_at": self.received_at}
        for name in ("speed_mps", "heading_deg", "accuracy_m"):
            value = getattr(self, name)
            if value is not None:
                properties[name] = value
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": coordinates},
            "properties": properties,
        }


def encode_position_lines(records: Iterable[PositionRecord]) -> bytes:
    """The bytes of a position segment holding ``records`` (one line each, LF-terminated)."""
    return b"".join(
        json.dumps(record.feature(), sort_keys=True, separators=(",", ":")).encode() + b"\n"
        for record in records
    )


def parse_position_lines(data: bytes, *, where: str) -> list[PositionRecord]:
    """The fixes of a position segment. Raises ArchiveError naming ``where`` and the line number
    for a line that is not a valid Point Feature with the properties above."""
    records: list[PositionRecord] = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        try:
            records.append(_record(line))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ArchiveError(f"{where} line {number}: not a position Feature ({exc})") from exc
    return records


def _record(line: bytes) -> PositionRecord:
    if len(line) > _MAX_LINE_BYTES:
        raise ValueError(f"longer than {_MAX_LINE_BYTES} bytes")
    feature = json.loads(line)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    geometry, properties = feature["geometry"], feature["properties"]
    if not isinstance(geometry, dict) or geometry.get("type") != "Point" or not isinstance(properties, dict):
        raise ValueError("not a Point with properties")
    coordinates = geometry["coordinates"]
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
        raise ValueError("coordinates must be [lon, lat] or [lon, lat, alt]")
    return PositionRecord(
        lon=coordinates[0],
        lat=coordinates[1],
        altitude_m=coordinates[2] if len(coordinates) == 3 else None,
        fix_time=properties["fix_time"],
        received_at=properties["received_at"],
        speed_mps=properties.get("speed_mps"),
        heading_deg=properties.get("heading_deg"),
        accuracy_m=properties.get("accuracy_m"),
    )


def track_bounds(records: Sequence[PositionRecord]) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of ``records``, or None when there are none."""
    if not records:
        return None
    lons = [record.lon for record in records]
    lats = [record.lat for record in records]
    return min(lons), min(lats), max(lons), max(lats)
