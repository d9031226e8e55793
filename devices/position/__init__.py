"""Position sources for bodycams: gpsd, NMEA 0183 (serial or file), a synthetic track, a fixed point.

Named by one-line specs (:func:`parse_position_spec`), opened with :func:`open_position_source` into a
:class:`PositionSource` whose blocking ``fixes()`` generator yields :class:`PositionFix` values.
"""

from devices.position.fix import PositionFix
from devices.position.nmea import NmeaDecoder
from devices.position.source import PositionSource, open_position_source
from devices.position.spec import POSITION_FORMS, PositionKind, PositionSpec, parse_position_spec

__all__ = [
    "POSITION_FORMS",
    "NmeaDecoder",
    "PositionFix",
    "PositionKind",
    "PositionSource",
    "PositionSpec",
    "open_position_source",
    "parse_position_spec",
]
