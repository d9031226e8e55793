"""Decoding NMEA 0183 ``RMC`` and ``GGA`` sentences into position fixes.

pynmea2 parses the sentence grammar; this module decides what counts: every sentence must carry a
correct checksum (``*hh``) and fit the standard's 82 characters; RMC (date, time, position, speed,
course, status) and GGA (time, position, fix quality, altitude) of the same epoch are merged into
one fix, emitted when the next epoch begins (or at :meth:`NmeaDecoder.flush`). Any talker is
accepted (``GP``, ``GN``, ``GL``, ``GA``, ``GB``/``BD``). A sentence that fails its checksum, does
not parse, or carries impossible values is counted in :attr:`NmeaDecoder.bad_sentences` and skipped;
other sentence types with a good checksum (GSV, VTG …) are ignored without being counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import pynmea2

from devices.position.fix import PositionFix

__all__ = ["MAX_SENTENCE_CHARS", "NmeaDecoder"]

logger = logging.getLogger(__name__)

MAX_SENTENCE_CHARS = 82  # NMEA 0183: '$' to <LF> at most 82 characters
_KNOTS_TO_MPS = 1852.0 / 3600.0
_FIELD_ERRORS = (ValueError, TypeError, AttributeError, IndexError, OverflowError)


@dataclass(slots=True)
class _Epoch:
    """What the sentences of one epoch (one time of day) said so far."""

    timestamp: time
    received_at: datetime
    lat: float | None = None
    lon: float | None = None
    day: date | None = None
    valid: bool = False
    altitude_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    sources: set[str] = field(default_factory=set)


class NmeaDecoder:
    """Feed lines with :meth:`feed`; it returns the fix of an epoch once that epoch is complete.

    ``now`` gives the device's UTC clock (the fix's ``received_at``). A GGA-only epoch gets its date
    from the last RMC seen; before any RMC it cannot be dated and is dropped (not counted as bad).
    """

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now
        self._epoch: _Epoch | None = None
        self._last_day: date | None = None
        self.bad_sentences = 0
        """Sentences skipped for a bad checksum, bad grammar or impossible values."""
        self.sentences = 0
        """Sentences accepted (good checksum), of any type."""

    def feed(self, raw: bytes | str) -> PositionFix | None:
        """Take one line (with or without its CR LF); return a completed fix, if this line ended one."""
        line = _text(raw)
        if line is None or not line:
            if line is None:
                self._bad(raw, "not ASCII text")
            return None
        try:
            sentence = _parse(line)
        except _FIELD_ERRORS as exc:
            self._bad(line, str(exc))
            return None
        self.sentences += 1
        kind = getattr(sentence, "sentence_type", "")
        if kind not in ("RMC", "GGA"):
            return None
        try:
            return self._take(kind, sentence)
        except _FIELD_ERRORS as exc:
            self._bad(line, str(exc))
            return None

    def flush(self) -> PositionFix | None:
        """The fix of the epoch in progress (at the end of input), if it has a valid position."""
        epoch, self._epoch = self._epoch, None
        return None if epoch is None else self._complete(epoch)

    def _take(self, kind: str, sentence: pynmea2.NMEASentence) -> PositionFix | None:
        stamp = sentence.timestamp
        if not isinstance(stamp, time):
            raise ValueError("no time of fix")
        done = None
        if self._epoch is None or self._epoch.timestamp != stamp:
            done = self.flush()
            self._epoch = _Epoch(timestamp=stamp, received_at=self._now())
        epoch = self._epoch
        if kind == "RMC":
            _take_rmc(epoch, sentence)
            if epoch.day is not None:
                self._last_day = epoch.day
        else:
            _take_gga(epoch, sentence)
        epoch.sources.add(kind)
        return done

    def _complete(self, epoch: _Epoch) -> PositionFix | None:
        day = epoch.day or self._last_day
        if not epoch.valid or epoch.lat is None or epoch.lon is None or day is None:
            return None
        try:
            return PositionFix(
                lat=round(epoch.lat, 7),
                lon=round(epoch.lon, 7),
                fix_time=datetime.combine(day, epoch.timestamp.replace(tzinfo=None), tzinfo=UTC),
                received_at=epoch.received_at,
                altitude_m=epoch.altitude_m,
                speed_mps=epoch.speed_mps,
                heading_deg=epoch.heading_deg,
            )
        except ValueError as exc:
            self.bad_sentences += 1
            logger.warning("NMEA epoch %s dropped: %s", epoch.timestamp, exc)
            return None

    def _bad(self, line: object, reason: str) -> None:
        self.bad_sentences += 1
        logger.debug("bad NMEA sentence %.100r skipped: %s", line, reason)


def _text(raw: bytes | str) -> str | None:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
    return raw.strip("\r\n\x00 ")


def _parse(line: str) -> pynmea2.NMEASentence:
    if len(line) > MAX_SENTENCE_CHARS:
        raise ValueError(f"longer than {MAX_SENTENCE_CHARS} characters")
    if not line.startswith("$") or not line.isprintable():
        raise ValueError("not an NMEA sentence")
    return pynmea2.parse(line, check=True)


def _take_rmc(epoch: _Epoch, sentence: pynmea2.NMEASentence) -> None:
    epoch.valid = sentence.status == "A"
    lat, lon = _position(sentence)
    epoch.lat, epoch.lon = lat, lon
    if isinstance(sentence.datestamp, date):
        epoch.day = sentence.datestamp
    if sentence.spd_over_grnd not in (None, ""):
        epoch.speed_mps = round(float(sentence.spd_over_grnd) * _KNOTS_TO_MPS, 3)
    if sentence.true_course not in (None, ""):
        epoch.heading_deg = float(sentence.true_course) % 360.0


def _take_gga(epoch: _Epoch, sentence: pynmea2.NMEASentence) -> None:
    quality = int(sentence.gps_qual or 0)
    lat, lon = _position(sentence)
    if epoch.lat is None:
        epoch.lat, epoch.lon = lat, lon
    if "RMC" not in epoch.sources:
        epoch.valid = quality > 0
    if sentence.altitude not in (None, ""):
        epoch.altitude_m = float(sentence.altitude)


def _position(sentence: pynmea2.NMEASentence) -> tuple[float | None, float | None]:
    if not sentence.lat or not sentence.lon:
        return None, None
    if sentence.lat_dir not in ("N", "S") or sentence.lon_dir not in ("E", "W"):
        raise ValueError("hemisphere must be N/S and E/W")
    lat, lon = float(sentence.latitude), float(sentence.longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"position {lat}, {lon} out of range")
    return lat, lon
