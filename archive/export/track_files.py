"""A recorded GPS track as the files other tools open: GeoJSON (RFC 7946) and GPX 1.1.

Both are derived from the archived position segments (whose bytes stay in the bag as they are): the
GeoJSON is a FeatureCollection of one LineString (the path) and every fix as a Point Feature with its
times; the GPX is one track segment with a ``trkpt`` per fix (``ele``, ``time``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from xml.etree import ElementTree

from archive.formats.position_lines import PositionRecord

__all__ = ["track_geojson", "track_gpx"]

_GPX_NS = "http://www.topografix.com/GPX/1/1"


def track_geojson(records: Sequence[PositionRecord], *, name: str) -> bytes:
    """The track as a GeoJSON FeatureCollection (UTF-8 bytes)."""
    path = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[r.lon, r.lat] for r in records]},
        "properties": {
            "name": name,
            "fixes": len(records),
            "start": records[0].fix_time if records else None,
            "end": records[-1].fix_time if records else None,
        },
    }
    collection = {"type": "FeatureCollection", "features": [path, *(r.feature() for r in records)]}
    return json.dumps(collection, indent=1, sort_keys=True).encode()


def track_gpx(records: Sequence[PositionRecord], *, name: str, creator: str = "courtrec") -> bytes:
    """The track as a GPX 1.1 document (UTF-8 bytes)."""
    ElementTree.register_namespace("", _GPX_NS)
    gpx = ElementTree.Element(f"{{{_GPX_NS}}}gpx", {"version": "1.1", "creator": creator})
    track = ElementTree.SubElement(gpx, f"{{{_GPX_NS}}}trk")
    ElementTree.SubElement(track, f"{{{_GPX_NS}}}name").text = name
    segment = ElementTree.SubElement(track, f"{{{_GPX_NS}}}trkseg")
    for record in records:
        point = ElementTree.SubElement(
            segment, f"{{{_GPX_NS}}}trkpt", {"lat": f"{record.lat:.7f}", "lon": f"{record.lon:.7f}"}
        )
        if record.altitude_m is not None:
            ElementTree.SubElement(point, f"{{{_GPX_NS}}}ele").text = f"{record.altitude_m:.2f}"
        stamp = record.fix_datetime.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ElementTree.SubElement(point, f"{{{_GPX_NS}}}time").text = stamp
    document: bytes = ElementTree.tostring(gpx, encoding="utf-8", xml_declaration=True)
    return document
