"""``gpsd://HOST:PORT``: fixes from a gpsd daemon over its JSON protocol (TCP, port 2947).

The client sends ``?WATCH={"enable":true,"json":true}`` and reads one JSON object per line; ``TPV``
reports with ``mode`` 2 (2D) or 3 (3D) and a position become fixes (``lat``, ``lon``, ``altHAE`` or
``alt``, ``speed`` m/s, ``track`` degrees, ``eph`` metres, ``time``). Other classes (VERSION,
DEVICES, WATCH, SKY …) are ignored; a line that is not JSON, too long, or a TPV with impossible
values is counted in ``bad_sentences`` and skipped.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from devices.errors import SourceOpenError
from devices.position.fix import PositionFix
from devices.position.spec import PositionKind, PositionSpec

__all__ = ["WATCH_COMMAND", "GpsdSource", "decode_gpsd_line", "fix_from_tpv"]

WATCH_COMMAND = b'?WATCH={"enable":true,"json":true}\n'
_CONNECT_SECONDS = 5.0
_POLL_SECONDS = 0.2
_MAX_LINE = 64 * 1024  # SKY reports with many satellites run to a few KiB


class GpsdSource:
    """Connects at construction (so a wrong address fails at once); :meth:`fixes` reads until
    :meth:`close` or the daemon hangs up (SourceOpenError)."""

    def __init__(self, spec: PositionSpec, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if spec.kind is not PositionKind.GPSD:
            raise ValueError(f"not a gpsd spec: {spec.canonical}")
        self.spec = spec
        self.bad_sentences = 0
        self._now = now
        self._stop = threading.Event()
        host, port = spec.gpsd_address
        try:
            self._socket = socket.create_connection((host, port), timeout=_CONNECT_SECONDS)
            self._socket.sendall(WATCH_COMMAND)
        except OSError as exc:
            raise SourceOpenError(f"gpsd at {host}:{port} cannot be reached: {exc.strerror or exc}") from exc
        self._socket.settimeout(_POLL_SECONDS)

    def fixes(self) -> Iterator[PositionFix]:
        """Blocking generator of fixes; SourceOpenError when the connection ends or fails."""
        pending = b""
        try:
            while not self._stop.is_set():
                try:
                    chunk = self._socket.recv(8192)
                except TimeoutError:
                    continue
                if not chunk:
                    raise SourceOpenError(f"gpsd at {self.spec.location} closed the connection")
                *lines, pending = (pending + chunk).split(b"\n")
                if len(pending) > _MAX_LINE:
                    self.bad_sentences += 1
                    pending = b""
                for line in lines:
                    fix = self._decode(line)
                    if fix is not None:
                        yield fix
        except OSError as exc:
            if not self._stop.is_set():
                raise SourceOpenError(f"gpsd at {self.spec.location}: {exc.strerror or exc}") from exc
        finally:
            self._socket.close()

    def close(self) -> None:
        """End :meth:`fixes` within a poll interval (from any thread); idempotent."""
        self._stop.set()

    def _decode(self, line: bytes) -> PositionFix | None:
        try:
            return decode_gpsd_line(line, self._now())
        except ValueError:
            self.bad_sentences += 1
            return None


def decode_gpsd_line(line: bytes, received_at: datetime) -> PositionFix | None:
    """The fix one line of gpsd's output carries (a TPV report with a 2D/3D position), or None for
    other reports and blank lines. Raises ValueError for a line that is not a JSON object or a TPV
    report with fields of the wrong type or out of range."""
    if not line.strip():
        return None
    try:
        report = json.loads(line)
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
        if report.get("class") != "TPV":
            return None
        return fix_from_tpv(report, received_at)
    except (TypeError, OverflowError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ValueError(f"not a usable TPV report ({exc})") from exc


def fix_from_tpv(report: dict[str, object], received_at: datetime) -> PositionFix | None:
    """The fix a gpsd TPV report carries, or None when it has no 2D/3D position yet.

    Raises ValueError (or TypeError) for a report with fields of the wrong type or out of range."""
    mode = report.get("mode", 0)
    if not isinstance(mode, int) or mode < 2 or "lat" not in report or "lon" not in report:
        return None
    stamp = report.get("time")
    fix_time = _parse_time(stamp) if isinstance(stamp, str) else received_at
    altitude = report.get("altHAE", report.get("alt")) if mode == 3 else None
    return PositionFix(
        lat=_number(report["lat"]),
        lon=_number(report["lon"]),
        fix_time=fix_time,
        received_at=received_at,
        altitude_m=None if altitude is None else _number(altitude),
        speed_mps=_optional(report.get("speed")),
        heading_deg=None if report.get("track") is None else _number(report["track"]) % 360.0,
        accuracy_m=_optional(report.get("eph")),
    )


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number (got {value!r})")
    return float(value)


def _optional(value: object) -> float | None:
    return None if value is None else _number(value)


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"TPV time {text!r} has no timezone")
    return parsed.astimezone(UTC)
