"""The agent's command line: device listing, argument errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_module

pytestmark = pytest.mark.integration  # each test runs the agent in a subprocess


def test_devices_lists_what_is_present() -> None:
    result = run_module("capture", ["devices"], None)
    assert result.returncode == 0, result.stderr
    # this machine has no camera or microphone; a machine that has some lists their specs
    assert "no capture devices found" in result.stdout or ":" in result.stdout


def test_segment_length_out_of_range_is_refused(tmp_path: Path) -> None:
    result = run_module(
        "capture",
        [
            "record",
            "--room",
            "r",
            "--spool",
            str(tmp_path),
            "--segment-seconds",
            "90",
            "--source",
            "synthetic",
        ],
        None,
    )
    assert result.returncode == 2
    assert "--segment-seconds must be between 2 and 60" in result.stderr
    assert not list(tmp_path.iterdir())


def test_unsafe_recording_id_is_refused(tmp_path: Path) -> None:
    result = run_module(
        "capture",
        [
            "record",
            "--room",
            "r",
            "--spool",
            str(tmp_path),
            "--recording-id",
            "../escape",
            "--source",
            "synthetic",
        ],
        None,
    )
    assert result.returncode == 2
    assert "recording id '../escape' is not accepted" in result.stderr
    assert not list(tmp_path.iterdir())
