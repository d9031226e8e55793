from __future__ import annotations

import stat
import sys
from pathlib import Path

from devices import DeviceInfo, SourceKind, list_devices, parse_source_spec
from devices.hardware.discovery import pulse_sources

CARDS = """\
 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 32
 1 [C920           ]: USB-Audio - HD Pro Webcam C920
                      HD Pro Webcam C920 at usb-0000:00:14.0-2, high speed
"""
PCM = """\
00-00: ALC892 Analog : ALC892 Analog : playback 1 : capture 1
00-01: ALC892 Digital : ALC892 Digital : playback 1
01-00: USB Audio : USB Audio : capture 1
"""


def _fake_root(root: Path) -> Path:
    """A directory tree shaped like /dev, /sys and /proc on a PC with a USB webcam."""
    (root / "dev").mkdir()
    for name in ("video0", "video1", "video10", "vhci", "video"):
        (root / "dev" / name).touch()
    for name, card in (("video0", "HD Pro Webcam C920\n"), ("video1", "HD Pro Webcam C920\n")):
        node = root / "sys" / "class" / "video4linux" / name
        node.mkdir(parents=True)
        (node / "name").write_text(card)
    asound = root / "proc" / "asound"
    asound.mkdir(parents=True)
    (asound / "cards").write_text(CARDS)
    (asound / "pcm").write_text(PCM)
    return root


def test_lists_video_nodes_and_alsa_capture_pcms_from_a_fake_root(tmp_path: Path) -> None:
    devices = list_devices(_fake_root(tmp_path), pactl=None)
    assert devices == [
        DeviceInfo(SourceKind.V4L2, "v4l2:/dev/video0", "HD Pro Webcam C920 (/dev/video0)"),
        DeviceInfo(SourceKind.V4L2, "v4l2:/dev/video1", "HD Pro Webcam C920 (/dev/video1)"),
        DeviceInfo(SourceKind.V4L2, "v4l2:/dev/video10", "V4L2 device (/dev/video10)"),
        DeviceInfo(SourceKind.ALSA, "alsa:plughw:0,0", "HDA Intel PCH: ALC892 Analog"),
        DeviceInfo(SourceKind.ALSA, "alsa:plughw:1,0", "HD Pro Webcam C920: USB Audio"),
    ]
    for device in devices:
        assert parse_source_spec(device.spec).kind is device.kind


def test_empty_root_has_no_devices(tmp_path: Path) -> None:
    assert list_devices(tmp_path, pactl=None) == []


def test_real_machine_returns_a_list() -> None:
    devices = list_devices()
    assert isinstance(devices, list)
    assert all(isinstance(d, DeviceInfo) for d in devices)


def _script(path: Path, body: str) -> str:
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_pulse_sources_from_pactl_leave_out_monitors(tmp_path: Path) -> None:
    listing = (
        "0\\talsa_output.pci.analog-stereo.monitor\\tPipeWire\\ts32le 2ch 48000Hz\\tSUSPENDED\\n"
        "1\\talsa_input.usb-Blue_Yeti-00.analog-stereo\\tPipeWire\\ts16le 2ch 48000Hz\\tRUNNING\\n"
    )
    pactl = _script(tmp_path / "pactl", f"import sys\nsys.stdout.write('{listing}')\n")
    assert pulse_sources(pactl) == [
        DeviceInfo(
            SourceKind.PULSE,
            "pulse:alsa_input.usb-Blue_Yeti-00.analog-stereo",
            "PulseAudio source alsa_input.usb-Blue_Yeti-00.analog-stereo s16le 2ch 48000Hz",
        )
    ]
    assert (
        parse_source_spec(pulse_sources(pactl)[0].spec).location
        == "alsa_input.usb-Blue_Yeti-00.analog-stereo"
    )


def test_pulse_sources_without_server_or_program(tmp_path: Path) -> None:
    failing = _script(tmp_path / "pactl", "import sys\nsys.stderr.write('Connection failure')\nsys.exit(1)\n")
    assert pulse_sources(failing) == []
    assert pulse_sources(str(tmp_path / "missing-pactl")) == []
    assert pulse_sources(None) == []
