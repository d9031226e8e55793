"""The ``--gps SOURCE`` option of ``capture record`` and ``capture bodycam``: adding it and reading it.

Apart from :mod:`capture.recording.position_track` (the track recorder) so that building the command
line loads neither the recorder nor a position source.
"""

from __future__ import annotations

import argparse

from devices import PositionSpec, parse_position_spec

__all__ = ["add_gps_option", "position_spec_from_args"]


def add_gps_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add ``--gps SOURCE`` (a position source spec, or today's fixed ``LAT,LON``)."""
    parser.add_argument(
        "--gps",
        default=None,
        metavar="SOURCE",
        help="record a GPS track and report it live: gpsd://HOST[:PORT], nmea:/dev/ttyUSB0?baud=4800, "
        "nmea-file:PATH, synthetic-track#lat=..&lon=..&speed=.., or a fixed LAT,LON",
    )


def position_spec_from_args(args: argparse.Namespace) -> PositionSpec | None:
    """The parsed ``--gps`` value, or None when not given. Raises PositionSpecError naming what was
    wrong and listing the accepted forms."""
    text: str | None = getattr(args, "gps", None)
    return None if not text else parse_position_spec(text)
