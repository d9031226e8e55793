"""Salvaging a torn segment is restartable: a crash at any of its steps is picked up on the next start."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from capture.errors import SalvageError
from capture.recovery.salvage import QUARANTINE_DIR, salvage_torn_segment


def _box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


CHUNK = _box(b"moof", _box(b"traf")) + _box(b"mdat", b"picture")
TORN = CHUNK * 3 + CHUNK[:-3]  # three whole chunks and a torn fourth
PREFIX = CHUNK * 3


def _torn(directory: Path) -> Path:
    temporary = directory / "00000002.m4s.tmp"
    temporary.write_bytes(TORN)
    return temporary


def _assert_salvaged(directory: Path) -> None:
    assert (directory / "00000002.m4s").read_bytes() == PREFIX
    assert (directory / QUARANTINE_DIR / "00000002.m4s.raw").read_bytes() == TORN
    assert sorted(p.name for p in directory.iterdir()) == ["00000002.m4s", QUARANTINE_DIR]


def test_a_first_salvage_seals_the_prefix_and_keeps_the_raw_bytes(tmp_path: Path) -> None:
    result = salvage_torn_segment(_torn(tmp_path), None)
    assert result.sealed is not None and result.sealed.size == len(PREFIX)
    _assert_salvaged(tmp_path)


def test_a_staging_copy_left_by_a_crash_is_rewritten(tmp_path: Path) -> None:
    temporary = _torn(tmp_path)
    (tmp_path / "00000002.m4s.tmp.salvage").write_bytes(PREFIX[:5])  # cut while being written
    salvage_torn_segment(temporary, None)
    _assert_salvaged(tmp_path)


def test_a_crash_between_link_and_unlink_of_the_prefix_is_finished(tmp_path: Path) -> None:
    temporary = _torn(tmp_path)
    staging = tmp_path / "00000002.m4s.tmp.salvage"
    staging.write_bytes(PREFIX)
    os.link(staging, tmp_path / "00000002.m4s")
    salvage_torn_segment(temporary, None)
    _assert_salvaged(tmp_path)


def test_a_prefix_sealed_before_the_crash_is_taken_as_it_is(tmp_path: Path) -> None:
    temporary = _torn(tmp_path)
    (tmp_path / "00000002.m4s").write_bytes(PREFIX)
    result = salvage_torn_segment(temporary, None)
    assert result.sealed is not None and result.sealed.size == len(PREFIX)
    _assert_salvaged(tmp_path)


def test_a_segment_name_holding_other_bytes_is_never_replaced(tmp_path: Path) -> None:
    temporary = _torn(tmp_path)
    (tmp_path / "00000002.m4s").write_bytes(b"other evidence")
    with pytest.raises(SalvageError, match="not the decodable prefix"):
        salvage_torn_segment(temporary, None)
    assert (tmp_path / "00000002.m4s").read_bytes() == b"other evidence"
    assert temporary.read_bytes() == TORN


def test_raw_bytes_of_a_reused_segment_number_do_not_overwrite_earlier_ones(tmp_path: Path) -> None:
    quarantine = tmp_path / QUARANTINE_DIR
    quarantine.mkdir()
    (quarantine / "00000002.m4s.raw").write_bytes(b"an earlier torn segment")
    result = salvage_torn_segment(_torn(tmp_path), None)
    assert result.raw.name == "00000002.m4s.2.raw"
    assert (quarantine / "00000002.m4s.raw").read_bytes() == b"an earlier torn segment"
