"""ALSA microphones, read through FFmpeg's ``alsa`` demuxer.

The location is any ALSA PCM name: ``hw:1,0`` (card 1, device 0, raw hardware), ``plughw:1,0``
(with rate/channel conversion: what device discovery suggests), ``hw:CARD=Device,DEV=0``,
``default``, or a PCM defined in an asoundrc. Options map onto the demuxer's ``sample_rate`` and
``channels``.
"""

from __future__ import annotations

import os
from pathlib import Path

from devices.errors import DeviceNotFoundError, SourceOpenError
from devices.hardware.av_input import LiveAvSource, open_container
from devices.hardware.discovery import LIST_DEVICES_HINT, alsa_capture_devices
from devices.spec import SourceKind, SourceSpec

__all__ = ["open_alsa"]

# The ALSA library inside PyAV's wheel looks for alsa.conf under the path it was built in, so
# every named PCM ("default", "plughw", ...) fails unless it is pointed at the system's copy.
_SYSTEM_ALSA_CONFIG_DIR = "/usr/share/alsa"


def open_alsa(spec: SourceSpec, *, root: Path = Path("/")) -> LiveAvSource:
    """Open the ALSA capture PCM ``spec.location``; frames are s16 audio, ``time_base`` 1/1000000.

    FFmpeg's alsa demuxer stamps each period with the wall clock less the device's delay (smoothed
    by a time filter), so sound lost to an overrun (xrun) or a stall shows as a jump in ``pts``,
    which the recording journals as a gap; a wall-clock step shows as a jump too (forward: a gap is
    declared; back: the recording re-anchors, capture.recording.stream.audio_timeline).

    Names that include a card (``hw:1,0``, ``plughw:CARD=PCH,DEV=0``) are checked against
    ``{root}/proc/asound`` first; other names are opened directly. Sets ``ALSA_CONFIG_DIR`` to
    ``/usr/share/alsa`` in this process's environment if it is unset and that directory exists.

    Raises:
        DeviceNotFoundError: the card or its capture device does not exist, or opening a named PCM
            failed on a machine with no ALSA capture device at all.
        SourceOpenError: the PCM exists but cannot be opened (busy, format refused).
    """
    if spec.kind is not SourceKind.ALSA:
        raise ValueError(f"not an alsa spec: {spec!r}")
    device = spec.location
    _check_card(device, root)
    if "ALSA_CONFIG_DIR" not in os.environ and os.path.isdir(_SYSTEM_ALSA_CONFIG_DIR):
        os.environ["ALSA_CONFIG_DIR"] = _SYSTEM_ALSA_CONFIG_DIR
    options = {}
    rate = spec.option("rate")
    if rate is not None:
        options["sample_rate"] = rate
    channels = spec.option("channels")
    if channels is not None:
        options["channels"] = channels
    label = f"ALSA device {device}"
    try:
        container = open_container(device, label=label, format="alsa", options=options)
    except SourceOpenError:
        if not alsa_capture_devices(root):
            raise _not_found(device, root) from None
        raise
    return LiveAvSource(spec, container, label)


def _check_card(device: str, root: Path) -> None:
    """Raise DeviceNotFoundError when ``device`` names a card or capture device that is absent."""
    card_and_device = _card_and_device(device)
    if card_and_device is None:
        return
    card, number = card_and_device
    card_dir = root / "proc" / "asound" / (f"card{card}" if card.isdigit() else card)
    if not (card_dir / f"pcm{number}c").exists():
        raise _not_found(device, root)


def _card_and_device(device: str) -> tuple[str, int] | None:
    """``("1", 0)`` for ``hw:1,0`` or ``hw:CARD=1,DEV=0``; None when the name has no card."""
    _plugin, colon, arguments = device.partition(":")
    if not colon:
        return None
    card: str | None = None
    number = "0"
    for position, argument in enumerate(arguments.split(",")):
        key, equals, value = argument.partition("=")
        if not equals:
            key, value = ("CARD", "DEV")[position] if position < 2 else "", argument
        if key == "CARD":
            card = value
        elif key == "DEV":
            number = value
    if not card or not number.isascii() or not number.isdigit():
        return None
    return card, int(number)


def _not_found(device: str, root: Path) -> DeviceNotFoundError:
    found = ", ".join(info.spec for info in alsa_capture_devices(root)) or "none"
    return DeviceNotFoundError(f"no such ALSA capture device {device} (found: {found}); {LIST_DEVICES_HINT}")
