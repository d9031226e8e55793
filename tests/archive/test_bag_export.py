"""Export as a BagIt bag: validates with bagit (sha256 + sha512), fails after one changed byte, holds a
playable MP4 joined without re-encoding, and is never built from bytes that contradict the journal."""

from __future__ import annotations

from pathlib import Path

import av
import bagit
import pytest

from archive.errors import ExportError, IntegrityError
from archive.export.bag import export_bag
from archive.preservation.backup import Backup
from archive.preservation.verify import find_prefix
from archive.store.sites import Site

from .conftest import Golden, corrupt_in_place, flip_byte, run_archive, site_env

pytestmark = pytest.mark.integration


def test_exported_bag_validates_and_fails_after_one_payload_byte_changes(
    sites: tuple[Site, Site], golden: Golden, tmp_path: Path
) -> None:
    primary, _ = sites
    result = export_bag([primary], "rec-a", tmp_path / "out")
    bag = bagit.Bag(str(result.bag_dir))
    bag.validate(fast=False)
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert (result.bag_dir / "bagit.txt").read_text().startswith("BagIt-Version: 1.0")
    info = bag.info
    assert info["Courtrec-Recording-Id"] == "rec-a" and info["Courtrec-Case"] == "2026-civ-100"
    assert (
        len(info["Courtrec-Merkle-Root"]) == 64 and "Recorded by device" in info["Courtrec-Chain-Of-Custody"]
    )
    prefix = find_prefix(primary.store, "rec-a")
    payload = {
        k.removeprefix(f"{prefix}/") for k in golden["rec-a"] if k.startswith(prefix) and "/journal/" not in k
    }
    assert {
        p.removeprefix("data/segments/") for p in bag.payload_files() if p.startswith("data/segments/")
    } == payload
    assert "journal/000001.jsonl" in bag.tagfile_entries()  # the journal travels as a tag file
    for relative in payload:
        assert (result.bag_dir / "data" / "segments" / relative).read_bytes() == golden["rec-a"][
            f"{prefix}/{relative}"
        ]

    segment = result.bag_dir / "data" / "segments" / "cam" / "00000002.m4s"
    segment.write_bytes(flip_byte(segment.read_bytes()))  # same size: only the hashes can tell
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(result.bag_dir)).validate(fast=False)


def test_a_changed_journal_tag_file_fails_validation_too(sites: tuple[Site, Site], tmp_path: Path) -> None:
    primary, _ = sites
    result = export_bag([primary], "rec-b", tmp_path)
    journal = result.bag_dir / "journal" / "000001.jsonl"
    journal.write_bytes(flip_byte(journal.read_bytes()))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(result.bag_dir)).validate(fast=False)


def test_the_joined_mp4_plays_every_stream_without_reencoding(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    primary, _ = sites
    mp4 = export_bag([primary], "rec-a", tmp_path).mp4
    with av.open(str(mp4)) as container:
        kinds = sorted(stream.type for stream in container.streams)
        assert kinds == ["audio", "video"]
        assert 3.5 < container.duration / 1e6 < 5.5  # about the 4 s recorded
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (320, 240)
        frames = sum(1 for _ in container.decode(video=0))
    assert 50 <= frames <= 70  # 4 s at 15 fps: every frame is there


def test_a_camera_and_its_sound_from_two_track_files_join_into_one_mp4(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    primary, _ = sites
    result = export_bag([primary], "rec-b", tmp_path)
    segments = result.bag_dir / "data" / "segments"
    assert sorted(p.name for p in segments.iterdir()) == ["cam", "cam.audio"]  # one track per file
    with av.open(str(result.mp4)) as container:
        assert sorted(stream.type for stream in container.streams) == ["audio", "video"]
        assert 3.5 < container.duration / 1e6 < 5.5
        audio_frames = sum(1 for _ in container.decode(audio=0))
    assert audio_frames > 150  # ~4 s of 1024-sample AAC frames at 48 kHz


def test_export_takes_a_good_copy_from_the_backup_and_refuses_when_none_is_left(
    sites: tuple[Site, Site], golden: Golden, tmp_path: Path
) -> None:
    primary, backup = sites
    assert Backup(primary, backup).run_once().ok
    key = f"{find_prefix(primary.store, 'rec-a')}/cam/00000001.m4s"
    corrupt_in_place(primary, key)
    result = export_bag([primary, backup], "rec-a", tmp_path / "good")
    assert (result.bag_dir / "data" / "segments" / "cam" / "00000001.m4s").read_bytes() == golden["rec-a"][
        key
    ]
    assert '"from_site": "backup"' in (result.bag_dir / "courtrec" / "custody.json").read_text()

    out = tmp_path / "bad"
    with pytest.raises(IntegrityError, match="no site holds a copy matching the journal"):
        export_bag([primary], "rec-a", out)
    assert not any(out.iterdir())  # no half-built bag left behind
    with pytest.raises(ExportError, match="never overwrites"):
        export_bag([primary, backup], "rec-a", tmp_path / "good")


def test_export_command(sites: tuple[Site, Site], tmp_path: Path) -> None:
    primary, backup = sites
    result = run_archive(site_env(primary, backup), "export", "--recording", "rec-b", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "validated" in result.stdout
    progress = result.stderr.splitlines()
    assert progress[0].startswith("export rec-b: 1/") and "(100%)" in progress[-1]  # plain lines: no TTY
    bagit.Bag(str(tmp_path / "rec-b")).validate(fast=False)
