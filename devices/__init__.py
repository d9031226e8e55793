"""Opening capture sources and watching their health.

Sources are named by one-line specs (:func:`parse_source_spec`), opened with :func:`open_source`
into a :class:`Source` whose blocking ``frames()`` generator yields PyAV frames in real time;
:class:`HealthMonitor` turns those frames into no-frames / black / frozen / silent events, and
:func:`list_devices` finds the cameras and microphones attached. This package imports no other
courtrec package.

The names are re-exported lazily (PEP 562, as ``archive.lazy_exports`` does; devices imports no other
courtrec package): naming a source spec or an error does not load OpenCV, NumPy, PyAV or pynmea2.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devices.errors import (
        DeviceNotFoundError,
        DevicesError,
        PositionSpecError,
        SourceOpenError,
        SourceSpecError,
    )
    from devices.formats import AudioFormat, VideoFormat
    from devices.generated.clock_stamp import read_clock_stamp, stamp_clock
    from devices.generated.file_source import FileSource
    from devices.generated.synthetic import SyntheticSettings, SyntheticSource
    from devices.hardware.av_input import LiveAvSource
    from devices.hardware.discovery import DeviceInfo, list_devices
    from devices.hardware.pulse import PulseSource
    from devices.monitoring.health import HealthCondition, HealthEvent, HealthMonitor, HealthThresholds
    from devices.position import (
        POSITION_FORMS,
        PositionFix,
        PositionKind,
        PositionSource,
        PositionSpec,
        open_position_source,
        parse_position_spec,
    )
    from devices.source import Source, open_source
    from devices.spec import ACCEPTED_FORMS, SourceKind, SourceSpec, parse_source_spec

__all__ = [
    "ACCEPTED_FORMS",
    "POSITION_FORMS",
    "AudioFormat",
    "DeviceInfo",
    "DeviceNotFoundError",
    "DevicesError",
    "FileSource",
    "HealthCondition",
    "HealthEvent",
    "HealthMonitor",
    "HealthThresholds",
    "LiveAvSource",
    "PositionFix",
    "PositionKind",
    "PositionSource",
    "PositionSpec",
    "PositionSpecError",
    "PulseSource",
    "Source",
    "SourceKind",
    "SourceOpenError",
    "SourceSpec",
    "SourceSpecError",
    "SyntheticSettings",
    "SyntheticSource",
    "VideoFormat",
    "list_devices",
    "open_position_source",
    "open_source",
    "parse_position_spec",
    "parse_source_spec",
    "read_clock_stamp",
    "stamp_clock",
]

_MODULE_OF = {
    "DeviceNotFoundError": "devices.errors",
    "DevicesError": "devices.errors",
    "PositionSpecError": "devices.errors",
    "SourceOpenError": "devices.errors",
    "SourceSpecError": "devices.errors",
    "AudioFormat": "devices.formats",
    "VideoFormat": "devices.formats",
    "read_clock_stamp": "devices.generated.clock_stamp",
    "stamp_clock": "devices.generated.clock_stamp",
    "FileSource": "devices.generated.file_source",
    "SyntheticSettings": "devices.generated.synthetic",
    "SyntheticSource": "devices.generated.synthetic",
    "LiveAvSource": "devices.hardware.av_input",
    "DeviceInfo": "devices.hardware.discovery",
    "list_devices": "devices.hardware.discovery",
    "PulseSource": "devices.hardware.pulse",
    "HealthCondition": "devices.monitoring.health",
    "HealthEvent": "devices.monitoring.health",
    "HealthMonitor": "devices.monitoring.health",
    "HealthThresholds": "devices.monitoring.health",
    "POSITION_FORMS": "devices.position",
    "PositionFix": "devices.position",
    "PositionKind": "devices.position",
    "PositionSource": "devices.position",
    "PositionSpec": "devices.position",
    "open_position_source": "devices.position",
    "parse_position_spec": "devices.position",
    "Source": "devices.source",
    "open_source": "devices.source",
    "ACCEPTED_FORMS": "devices.spec",
    "SourceKind": "devices.spec",
    "SourceSpec": "devices.spec",
    "parse_source_spec": "devices.spec",
}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])
