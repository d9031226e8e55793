"""Finding the cameras and microphones attached to this machine.

Reads the kernel's own listings (``/dev/video*``, ``/sys/class/video4linux``, ``/proc/asound``)
under a ``root`` directory, so tests can point it at a fake tree, and asks PulseAudio/PipeWire
through ``pactl`` when that program exists. Nothing is opened, so listing never disturbs a
recording in progress.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devices.spec import SourceKind

__all__ = [
    "LIST_DEVICES_HINT",
    "DeviceInfo",
    "alsa_capture_devices",
    "list_devices",
    "pulse_sources",
    "video_devices",
]

logger = logging.getLogger(__name__)

_VIDEO_NODE = re.compile(r"video([0-9]+)", re.ASCII)
# /proc/asound/pcm: "00-01: ALC892 Digital : ALC892 Digital : playback 1 : capture 1"
_PCM_LINE = re.compile(r"([0-9]+)-([0-9]+): (.*)", re.ASCII)
# /proc/asound/cards: " 0 [PCH            ]: HDA-Intel - HDA Intel PCH"
_CARD_LINE = re.compile(r"\s*([0-9]+) \[([^\]]*)\]: (.*)", re.ASCII)
_PACTL_TIMEOUT_SECONDS = 3.0

LIST_DEVICES_HINT = "run 'python -m capture devices' to list devices"
"""The advice every device-not-found message ends with."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A capture device found on this machine: its kind, a spec that opens it, and a human label."""

    kind: SourceKind
    spec: str
    description: str


def list_devices(root: Path = Path("/"), *, pactl: str | None = "pactl") -> list[DeviceInfo]:
    """Every V4L2 video node, ALSA capture PCM and PulseAudio source, in that order.

    ``root`` is where ``dev``, ``sys`` and ``proc`` are looked up (``/`` in production); the specs
    always name the real paths (``v4l2:/dev/video0``). ``pactl`` is the program used to list
    PulseAudio/PipeWire sources (None skips them). Missing listings mean no devices: a machine
    without cameras or sound cards gets ``[]``, never an error.
    """
    return [*video_devices(root), *alsa_capture_devices(root), *pulse_sources(pactl)]


def video_devices(root: Path = Path("/")) -> list[DeviceInfo]:
    """``/dev/videoN`` nodes in numeric order, described by their V4L2 card name from sysfs.

    USB cameras usually expose a second node for metadata; it is listed too (with the same card
    name), since telling them apart needs an ioctl on the device.
    """
    found: list[tuple[int, DeviceInfo]] = []
    dev = root / "dev"
    for node in dev.glob("video*") if dev.is_dir() else ():
        match = _VIDEO_NODE.fullmatch(node.name)
        if match is None:
            continue
        card = _read_text(root / "sys" / "class" / "video4linux" / node.name / "name") or "V4L2 device"
        info = DeviceInfo(SourceKind.V4L2, f"v4l2:/dev/{node.name}", f"{card} (/dev/{node.name})")
        found.append((int(match[1]), info))
    return [info for _, info in sorted(found, key=lambda pair: pair[0])]


def alsa_capture_devices(root: Path = Path("/")) -> list[DeviceInfo]:
    """ALSA PCMs that can capture, from ``/proc/asound/pcm``, as ``alsa:plughw:CARD,DEV`` specs.

    ``plughw`` rather than ``hw`` so that ALSA converts rate and channel count when the hardware
    cannot deliver exactly what was asked (many USB microphones are stereo-only or 44.1 kHz).
    """
    pcm_text = _read_text(root / "proc" / "asound" / "pcm")
    if not pcm_text:
        return []
    cards = _card_names(_read_text(root / "proc" / "asound" / "cards") or "")
    devices = []
    for line in pcm_text.splitlines():
        match = _PCM_LINE.fullmatch(line.strip())
        if match is None or "capture" not in match[3]:
            continue
        card, device = int(match[1]), int(match[2])
        pcm_name = match[3].split(" : ")[0].strip()
        card_name = cards.get(card, f"card {card}")
        devices.append(
            DeviceInfo(SourceKind.ALSA, f"alsa:plughw:{card},{device}", f"{card_name}: {pcm_name}")
        )
    return devices


def pulse_sources(pactl: str | None = "pactl") -> list[DeviceInfo]:
    """PulseAudio/PipeWire sources from ``pactl list short sources``, leaving out ``.monitor``
    sources (they record what the machine plays, not a microphone). [] if pactl is absent or fails.
    """
    program = shutil.which(pactl) if pactl else None
    if program is None:
        return []
    try:
        result = subprocess.run(
            [program, "list", "short", "sources"],
            capture_output=True,
            text=True,
            timeout=_PACTL_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("cannot list PulseAudio sources with %s: %s", program, exc)
        return []
    if result.returncode != 0:
        logger.info("pactl found no PulseAudio server: %s", result.stderr.strip())
        return []
    sources = []
    for line in result.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) < 2 or fields[1].endswith(".monitor"):
            continue
        name = fields[1]
        detail = fields[3] if len(fields) > 3 else ""
        description = f"PulseAudio source {name} {detail}".strip()
        sources.append(DeviceInfo(SourceKind.PULSE, f"pulse:{name}", description))
    return sources


def _card_names(cards_text: str) -> dict[int, str]:
    names = {}
    for line in cards_text.splitlines():
        match = _CARD_LINE.match(line)
        if match is not None:
            names[int(match[1])] = match[3].split(" - ", 1)[-1].strip()
    return names


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
