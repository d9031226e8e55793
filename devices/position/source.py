"""The ``PositionSource`` seam every position source implements, and opening one from its spec."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from devices.position.fix import PositionFix
from devices.position.gpsd_source import GpsdSource
from devices.position.nmea_source import NmeaFileSource, NmeaSerialSource
from devices.position.spec import PositionKind, PositionSpec
from devices.position.synthetic_track import FixedPosition, SyntheticTrack

__all__ = ["PositionSource", "open_position_source"]


@runtime_checkable
class PositionSource(Protocol):
    """An opened source of position fixes.

    ``fixes()`` is a blocking generator for the consumer's own thread; it ends when the source
    ends (a file without ``loop``) and raises ``SourceOpenError`` when a live source fails (the
    daemon hangs up, the receiver is unplugged). ``close()`` is idempotent, callable from any thread,
    and ends the generator within a fraction of a second. ``bad_sentences`` counts the input
    skipped as corrupt (checksum, grammar, impossible values).
    """

    spec: PositionSpec

    @property
    def bad_sentences(self) -> int:
        """Corrupt input skipped so far."""
        ...

    def fixes(self) -> Iterator[PositionFix]:
        """Blocking generator of fixes (see the class docstring)."""
        ...

    def close(self) -> None:
        """Stop the generator and release the device; idempotent, callable from any thread."""
        ...


def open_position_source(
    spec: PositionSpec, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> PositionSource:
    """Open what ``spec`` names; ``now`` is the device's UTC clock (each fix's ``received_at``).

    Raises:
        DeviceNotFoundError: a missing serial device or NMEA file.
        SourceOpenError: gpsd cannot be reached; the serial device cannot be opened or configured.
    """
    match spec.kind:
        case PositionKind.GPSD:
            return GpsdSource(spec, now)
        case PositionKind.NMEA:
            return NmeaSerialSource(spec, now)
        case PositionKind.NMEA_FILE:
            return NmeaFileSource(spec, now)
        case PositionKind.SYNTHETIC_TRACK:
            return SyntheticTrack(spec, now)
        case PositionKind.FIXED:
            return FixedPosition(spec, now)
