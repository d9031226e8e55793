"""Opening capture sources and watching their health.

Sources are named by one-line specs (:func:`parse_source_spec`), opened with :func:`open_source`
into a :class:`Source` whose blocking ``frames()`` generator yields PyAV frames in real time;
:class:`HealthMonitor` turns those frames into no-frames / black / frozen / silent events, and
:func:`list_devices` finds the cameras and microphones attached. This package imports no other
courtrec package.

The names are re-exported lazily (PEP 562, through ``lazy_loader``): naming a source spec or an error
does not load OpenCV, NumPy, PyAV or pynmea2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

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

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "errors": [
            "DeviceNotFoundError",
            "DevicesError",
            "PositionSpecError",
            "SourceOpenError",
            "SourceSpecError",
        ],
        "formats": ["AudioFormat", "VideoFormat"],
        "generated.clock_stamp": ["read_clock_stamp", "stamp_clock"],
        "generated.file_source": ["FileSource"],
        "generated.synthetic": ["SyntheticSettings", "SyntheticSource"],
        "hardware.av_input": ["LiveAvSource"],
        "hardware.discovery": ["DeviceInfo", "list_devices"],
        "hardware.pulse": ["PulseSource"],
        "monitoring.health": ["HealthCondition", "HealthEvent", "HealthMonitor", "HealthThresholds"],
        "position": [
            "POSITION_FORMS",
            "PositionFix",
            "PositionKind",
            "PositionSource",
            "PositionSpec",
            "open_position_source",
            "parse_position_spec",
        ],
        "source": ["Source", "open_source"],
        "spec": ["ACCEPTED_FORMS", "SourceKind", "SourceSpec", "parse_source_spec"],
    },
)
