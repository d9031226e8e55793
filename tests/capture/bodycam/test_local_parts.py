"""The device's own parts: a key on a real terminal (a pty), the battery from a power_supply tree,
the body camera's source defaults and option values."""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path

import pytest

from archive.journal import ActivationTrigger
from capture.bodycam.activation import Action, ActivationInbox
from capture.bodycam.local_triggers import start_key_trigger
from capture.bodycam.options import byte_size, pre_event_seconds, with_bodycam_defaults
from capture.device_status import battery_percent, free_bytes
from devices import parse_source_spec


def test_keys_on_a_terminal_activate_and_deactivate() -> None:
    controller, terminal = os.openpty()
    inbox = ActivationInbox()
    stream = os.fdopen(terminal, "r", buffering=1)
    reader = start_key_trigger(inbox, stream)
    assert reader is not None
    os.write(controller, b"a\nx\nd\n")
    first, second = inbox.get(timeout=10), inbox.get(timeout=10)
    os.close(controller)  # the terminal hangs up: the reader ends by itself
    reader.join(timeout=10)
    assert not reader.is_alive()
    stream.close()
    assert first is not None and (first.action, first.trigger) == (Action.ACTIVATE, ActivationTrigger.BUTTON)
    assert second is not None and second.action == Action.DEACTIVATE  # the stray 'x' asked for nothing


def test_no_key_trigger_without_a_terminal() -> None:
    assert start_key_trigger(ActivationInbox(), io.StringIO("a\n")) is None


def _supply(root: Path, name: str, kind: str, capacity: str | None) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "type").write_text(kind + "\n")
    if capacity is not None:
        (root / name / "capacity").write_text(capacity + "\n")


def test_the_battery_is_read_from_the_power_supply_class(tmp_path: Path) -> None:
    _supply(tmp_path, "AC", "Mains", None)
    _supply(tmp_path, "BAT0", "Battery", "57")
    assert battery_percent(tmp_path) == 57


@pytest.mark.parametrize("capacity", [None, "lots"])
def test_an_unreadable_battery_is_unknown(tmp_path: Path, capacity: str | None) -> None:
    _supply(tmp_path, "BAT0", "Battery", capacity)
    assert battery_percent(tmp_path) is None
    assert battery_percent(tmp_path / "absent") is None


def test_free_bytes_of_the_spool(tmp_path: Path) -> None:
    assert free_bytes(tmp_path) > 0
    assert free_bytes(tmp_path / "absent") == 0


def test_cameras_get_720p25_unless_the_spec_says_otherwise() -> None:
    default = with_bodycam_defaults(parse_source_spec("v4l2:/dev/video0"))
    assert (default.option("size"), default.option("fps")) == ("1280x720", "25")
    chosen = with_bodycam_defaults(parse_source_spec("synthetic#size=320x240&fps=15"))
    assert (chosen.option("size"), chosen.option("fps")) == ("320x240", "15")
    microphone = parse_source_spec("alsa:default")
    assert with_bodycam_defaults(microphone) == microphone


@pytest.mark.parametrize(("text", "value"), [("0", 0.0), ("30", 30.0), ("120", 120.0), ("2.5", 2.5)])
def test_pre_event_seconds_accepts_0_to_120(text: str, value: float) -> None:
    assert pre_event_seconds(text) == value


@pytest.mark.parametrize(("text", "value"), [("1048576", 1 << 20), ("8G", 8 << 30), ("1.5k", 1536)])
def test_sizes_take_binary_suffixes(text: str, value: int) -> None:
    assert byte_size(text) == value


@pytest.mark.parametrize("text", ["0", "-5M", "lots", "5X"])
def test_a_bad_size_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"size like 8G|more than 0 bytes"):
        byte_size(text)
