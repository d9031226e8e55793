"""Writing NMEA 0183 sentences for tests: checksummed RMC/GGA lines for a known position."""

from __future__ import annotations

from datetime import datetime
from functools import reduce


def checksummed(body: str) -> str:
    """``$body*hh`` with the NMEA checksum (XOR of the characters between ``$`` and ``*``)."""
    return f"${body}*{reduce(lambda acc, char: acc ^ ord(char), body, 0):02X}"


def _dm(value: float, degree_digits: int) -> str:
    degrees = int(abs(value))
    minutes = (abs(value) - degrees) * 60
    return f"{degrees:0{degree_digits}d}{minutes:07.4f}"


def rmc(
    at: datetime, lat: float, lon: float, *, knots: float = 2.9, course: float = 45.0, talker: str = "GP"
) -> str:
    """A valid (status A) RMC sentence."""
    return checksummed(
        f"{talker}RMC,{at:%H%M%S}.00,A,{_dm(lat, 2)},{'N' if lat >= 0 else 'S'},"
        f"{_dm(lon, 3)},{'E' if lon >= 0 else 'W'},{knots:.1f},{course:.1f},{at:%d%m%y},,,A"
    )


def gga(at: datetime, lat: float, lon: float, *, altitude: float = 12.5, talker: str = "GP") -> str:
    """A GGA sentence with fix quality 1 and ``altitude`` metres."""
    return checksummed(
        f"{talker}GGA,{at:%H%M%S}.00,{_dm(lat, 2)},{'N' if lat >= 0 else 'S'},"
        f"{_dm(lon, 3)},{'E' if lon >= 0 else 'W'},1,08,0.9,{altitude:.1f},M,8.0,M,,"
    )
