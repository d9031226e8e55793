"""Position source specs: the one-line strings ``--gps`` takes.

Forms (:data:`POSITION_FORMS`):

* ``gpsd://HOST[:PORT]`` — a gpsd daemon's JSON protocol over TCP (port 2947 by default);
* ``nmea:/dev/ttyUSB0[?baud=4800]`` — NMEA 0183 from a serial receiver (``#baud=`` works too);
* ``nmea-file:PATH[#realtime=0&loop=1]`` — NMEA 0183 recorded in a file, replayed at its own pace;
* ``synthetic-track[#lat=31.2304&lon=121.4737&speed=1.5&heading=45&turn=2&rate=1&realtime=0]`` —
  a deterministic moving track for tests and demos;
* ``LAT,LON`` or ``fixed:LAT,LON[#rate=1]`` — a fixed position (a courtroom), reported every second.

Options follow ``#`` (as in source specs), key=value joined by ``&``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import urlsplit

from devices import options as opt
from devices.errors import PositionSpecError
from devices.spec_grammar import Options, Validator, check_options, is_device_path, split_options

__all__ = ["GPSD_DEFAULT_PORT", "POSITION_FORMS", "PositionKind", "PositionSpec", "parse_position_spec"]

GPSD_DEFAULT_PORT = 2947
POSITION_FORMS = (
    "gpsd://HOST[:PORT], nmea:/dev/ttyUSB0[?baud=4800], nmea-file:PATH[#realtime=0&loop=1], "
    "synthetic-track[#lat=DEG&lon=DEG&speed=M/S&heading=DEG&turn=DEG/S&rate=HZ&realtime=0], "
    "LAT,LON or fixed:LAT,LON[#rate=HZ]"
)
"""Every accepted form, in one line; part of every ``PositionSpecError`` message."""


class PositionKind(StrEnum):
    """What a position spec names."""

    GPSD = "gpsd"
    NMEA = "nmea"
    NMEA_FILE = "nmea-file"
    SYNTHETIC_TRACK = "synthetic-track"
    FIXED = "fixed"


_BAUDS = ("1200", "2400", "4800", "9600", "19200", "38400", "57600", "115200")
_DECIMAL = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,9})?", re.ASCII)
_HOST = re.compile(r"[A-Za-z0-9.:\[\]-]{1,255}", re.ASCII)


def parse_degrees(text: str, limit: float, what: str) -> float:
    """Decimal degrees within ``-limit..limit``; ValueError naming ``what`` otherwise."""
    if _DECIMAL.fullmatch(text) is None or not -limit <= float(text) <= limit:
        raise ValueError(f"{what} must be decimal degrees from {-limit:g} to {limit:g} (got {text!r})")
    return float(text)


def _latitude(text: str) -> float:
    return parse_degrees(text, 90.0, "must be a latitude:")


def _longitude(text: str) -> float:
    return parse_degrees(text, 180.0, "must be a longitude:")


def parse_speed(text: str) -> float:
    """Metres per second, 0..100."""
    if _DECIMAL.fullmatch(text) is None or not 0 <= float(text) <= 100:
        raise ValueError(f"must be a speed in m/s from 0 to 100 (got {text!r})")
    return float(text)


def parse_heading(text: str) -> float:
    """True course in degrees, 0 <= h < 360."""
    if _DECIMAL.fullmatch(text) is None or not 0 <= float(text) < 360:
        raise ValueError(f"must be a heading in degrees, 0 to below 360 (got {text!r})")
    return float(text)


def parse_turn(text: str) -> float:
    """Degrees per second the track turns, -90..90 (negative turns left)."""
    if _DECIMAL.fullmatch(text) is None or not -90 <= float(text) <= 90:
        raise ValueError(f"must be a turn rate in degrees per second from -90 to 90 (got {text!r})")
    return float(text)


def parse_rate(text: str) -> float:
    """Fixes per second, 0.1..10."""
    if _DECIMAL.fullmatch(text) is None or not 0.1 <= float(text) <= 10:
        raise ValueError(f"must be fixes per second from 0.1 to 10 (got {text!r})")
    return float(text)


_OPTIONS: Mapping[PositionKind, Mapping[str, Validator]] = MappingProxyType(
    {
        PositionKind.GPSD: MappingProxyType({}),
        PositionKind.NMEA: MappingProxyType({"baud": lambda text: opt.parse_choice(text, _BAUDS)}),
        PositionKind.NMEA_FILE: MappingProxyType({"realtime": opt.parse_flag, "loop": opt.parse_flag}),
        PositionKind.SYNTHETIC_TRACK: MappingProxyType(
            {
                "lat": _latitude,
                "lon": _longitude,
                "speed": parse_speed,
                "heading": parse_heading,
                "turn": parse_turn,
                "rate": parse_rate,
                "realtime": opt.parse_flag,
            }
        ),
        PositionKind.FIXED: MappingProxyType({"rate": parse_rate}),
    }
)


@dataclass(frozen=True, slots=True)
class PositionSpec:
    """A parsed, validated position spec (build one with :func:`parse_position_spec`).

    ``location``: ``HOST:PORT`` for gpsd (port always present), the device path for nmea, the file
    path for nmea-file, ``LAT,LON`` for fixed, ``""`` for synthetic-track. ``options`` holds the
    validated ``(key, value)`` pairs sorted by key, values as written.
    """

    kind: PositionKind
    location: str
    options: Options = ()

    def __post_init__(self) -> None:
        try:
            _validate(self.kind, self.location, self.options)
        except ValueError as exc:
            raise PositionSpecError(_message(self.canonical, str(exc))) from None

    def option(self, key: str, default: str) -> str:
        """The raw value of option ``key``, or ``default`` when the spec does not set it."""
        return dict(self.options).get(key, default)

    @property
    def canonical(self) -> str:
        """The spec in normal form; it parses back to an equal spec."""
        if self.kind is PositionKind.GPSD:
            head = f"gpsd://{self.location}"
        elif self.location:
            head = f"{self.kind.value}:{self.location}"
        else:
            head = self.kind.value
        tail = "&".join(f"{key}={value}" for key, value in self.options)
        return f"{head}#{tail}" if tail else head

    @property
    def gpsd_address(self) -> tuple[str, int]:
        """(host, port) of a gpsd spec."""
        host, _, port = self.location.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def fixed_position(self) -> tuple[float, float]:
        """(lat, lon) of a fixed spec."""
        lat, _, lon = self.location.partition(",")
        return float(lat), float(lon)


def parse_position_spec(text: str) -> PositionSpec:
    """Parse a ``--gps`` value such as ``gpsd://127.0.0.1:2947`` or ``31.2304,121.4737``.

    Raises:
        PositionSpecError: one line naming what was wrong and listing :data:`POSITION_FORMS`.
    """
    try:
        return _parse(text)
    except ValueError as exc:
        raise PositionSpecError(_message(text, str(exc))) from None


def _message(text: str, reason: str) -> str:
    shown = text if len(text) <= 200 else text[:200] + "..."
    return f"bad position source {shown!r}: {reason}; accepted forms: {POSITION_FORMS}"


def _parse(text: str) -> PositionSpec:
    stripped = text.strip()
    if not stripped:
        raise ValueError("the spec is empty")
    if not stripped.isascii() or not stripped.isprintable():
        raise ValueError("the spec must be printable ASCII")
    if "," in stripped and ":" not in stripped.partition("#")[0]:
        stripped = "fixed:" + stripped  # today's --gps LAT,LON
    head, has_options, tail = stripped.partition("#")
    scheme, colon, rest = head.partition(":")
    scheme = scheme.lower()
    if scheme == PositionKind.NMEA and "?" in rest:  # nmea:/dev/ttyUSB0?baud=4800
        if has_options:
            raise ValueError("give nmea options after '?' or after '#', not both")
        rest, has_options, tail = rest.partition("?")
        has_options = "#" if has_options else ""
    try:
        kind = PositionKind(scheme)
    except ValueError:
        raise ValueError(f"unknown kind {scheme!r}") from None
    if kind is PositionKind.GPSD:
        location = _gpsd_location(rest)
    else:
        if colon and not rest:
            raise ValueError(f"{kind.value}: is followed by an empty location")
        location = rest
    options = split_options(tail) if has_options else ()
    _validate(kind, location, options)  # here, so the message shows the spec as written
    return PositionSpec(kind, location, options)


def _gpsd_location(rest: str) -> str:
    if not rest.startswith("//"):
        raise ValueError("gpsd needs an address like gpsd://HOST[:PORT]")
    try:
        parts = urlsplit("gpsd:" + rest)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"the gpsd address is malformed ({exc})") from None
    if not parts.hostname:
        raise ValueError("the gpsd address has no host")
    if parts.path not in ("", "/") or parts.query or parts.username:
        raise ValueError("a gpsd address is only HOST[:PORT]")
    if port == 0:
        raise ValueError("the gpsd port must be 1-65535")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port or GPSD_DEFAULT_PORT}"


def _validate(kind: PositionKind, location: str, options: Options) -> None:
    _check_location(kind, location)
    check_options(kind.value, options, _OPTIONS[kind])


def _check_location(kind: PositionKind, location: str) -> None:
    if kind is PositionKind.GPSD:
        host, colon, port = location.rpartition(":")
        if not colon or _HOST.fullmatch(host) is None or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"gpsd needs HOST:PORT (got {location!r})")
    elif kind is PositionKind.NMEA:
        if not is_device_path(location):
            raise ValueError(f"nmea needs a serial device path such as /dev/ttyUSB0 (got {location!r})")
    elif kind is PositionKind.NMEA_FILE:
        if not location:
            raise ValueError("nmea-file needs a path: nmea-file:PATH")
    elif kind is PositionKind.SYNTHETIC_TRACK:
        if location:
            raise ValueError(f"synthetic-track takes no location (got {location!r})")
    else:
        lat, comma, lon = location.partition(",")
        if not comma:
            raise ValueError(f"a fixed position is LAT,LON in decimal degrees (got {location!r})")
        parse_degrees(lat.strip(), 90.0, "the latitude")
        parse_degrees(lon.strip(), 180.0, "the longitude")
