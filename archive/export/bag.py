"""Exporting one recording as a BagIt bag (RFC 8493) that proves itself without courtrec.

Layout of ``OUT/{recording_id}/``::

    bagit.txt, bag-info.txt             recording, case, court, device, Merkle root, chain of custody
    manifest-sha256.txt, manifest-sha512.txt, tagmanifest-sha256.txt, tagmanifest-sha512.txt
    data/{recording_id}.mp4             every stream joined without re-encoding (archive.export.mp4_join)
    data/segments/{stream}/init.mp4, 00000001.m4s, ...   the archived objects, byte for byte
    data/{recording_id}-{stream}.geojson, .gpx            a GPS track (bodycams), from its archived
                                                          position segments (data/segments/gps/…)
    journal/000001.jsonl, ...           the hash-chained, signed journal (tag files)
    courtrec/custody.json               what was checked at export, where each object came from,
                                        the ffmpeg commands, and the recording's compliance records

Every archived object is taken from the first site whose bytes match the journal (the journal itself
having passed its chain and signatures, :mod:`archive.preservation.manifest`); the bag is built in a
hidden staging directory, validated in full with bagit, and only then renamed into place. An existing
bag is never overwritten.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bagit

from archive.errors import ArchiveError, ExportError, IntegrityError, StoreUnavailableError
from archive.export.mp4_join import StreamParts, join_streams
from archive.export.track_files import track_geojson, track_gpx
from archive.formats.hashing import sha256_file
from archive.formats.position_lines import POSITION_KIND, PositionRecord, parse_position_lines
from archive.journal.run_events import StartEvent, StopEvent
from archive.journal.segment_events import CheckpointEvent, SegmentEvent
from archive.preservation.compliance_log import ComplianceRecord
from archive.preservation.compliance_records import concerns
from archive.preservation.manifest import ManifestEntry, RecordingManifest, load_manifest
from archive.progress import ProgressCallback
from archive.store.sites import Site

logger = logging.getLogger(__name__)

BAG_ALGORITHMS = ("sha256", "sha512")


@dataclass(frozen=True, slots=True)
class ExportResult:
    """Where the bag is, its MP4, and what it holds."""

    bag_dir: Path
    mp4: Path
    segments: int
    payload_bytes: int


def export_bag(
    sources: Sequence[Site],
    recording_id: str,
    out_dir: Path,
    *,
    exported_by: str = "courtrec archive export",
    compliance_records: Sequence[ComplianceRecord] = (),
    on_progress: ProgressCallback | None = None,
) -> ExportResult:
    """Write the bag of ``recording_id`` to ``out_dir/recording_id`` from ``sources`` (preferred first).

    ``compliance_records``: the compliance log's records (those about this recording or its case go
    into custody.json); ``on_progress(done, total)`` counts archived objects downloaded. Raises
    ExportError (bag exists, ffmpeg failed, bag does not validate),
    IntegrityError (an object matches its journal hash on no site), JournalError / ArchiveError
    (recording unreadable), StoreUnavailableError; OSError for local file problems.
    """
    manifest = load_manifest(sources, recording_id)
    if manifest.lost_chunks:
        raise IntegrityError(
            f"recording {recording_id}: journal chunks lost on every site: {manifest.lost_chunks}"
        )
    bag_dir = out_dir / recording_id
    if bag_dir.exists():
        raise ExportError(f"{bag_dir} exists; an export never overwrites")
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".{recording_id}.partial-{uuid.uuid4().hex[:8]}"
    work = out_dir / f".{recording_id}.work-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        _build(
            staging,
            work,
            manifest,
            sources,
            exported_by=exported_by,
            compliance_records=compliance_records,
            on_progress=on_progress,
        )
        staging.rename(bag_dir)
    except bagit.BagError as exc:
        raise ExportError(f"the bag of {recording_id} does not validate: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    payload = sum(p.stat().st_size for p in (bag_dir / "data").rglob("*") if p.is_file())
    logger.info("exported %s to %s (%d bytes of payload)", recording_id, bag_dir, payload)
    return ExportResult(bag_dir, bag_dir / "data" / f"{recording_id}.mp4", len(manifest.media), payload)


def _build(
    staging: Path,
    work: Path,
    manifest: RecordingManifest,
    sources: Sequence[Site],
    *,
    exported_by: str,
    compliance_records: Sequence[ComplianceRecord],
    on_progress: ProgressCallback | None,
) -> None:
    """Fill ``staging`` with the payload, make it a bag, add the tag files and validate it in full."""
    origins = _download_media(sources, manifest, staging / "segments", on_progress)
    mp4 = staging / f"{manifest.recording_id}.mp4"
    commands = join_streams(_stream_parts(manifest, staging / "segments"), mp4, work)
    derived = _write_tracks(manifest, staging)
    now = datetime.now(UTC)
    bag_info = _bag_info(manifest, sources, now, exported_by)
    bagit.make_bag(str(staging), bag_info=bag_info, checksums=list(BAG_ALGORITHMS))
    custody = _custody(manifest, origins, commands, now, compliance_records)
    custody["derived_files"] = derived
    _write_tag_files(staging, manifest, custody)
    # RFC 8493 is BagIt 1.0; bagit-python writes 0.97 by default (same layout, same rules)
    (staging / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    bag = bagit.Bag(str(staging))
    bag.save()  # the tag manifests now cover the journal and custody files too
    bag.validate(fast=False)


def _download_media(
    sources: Sequence[Site], manifest: RecordingManifest, dest_dir: Path, on_progress: ProgressCallback | None
) -> dict[str, str]:
    """Download every init and segment, each from the first site whose bytes match the journal."""
    origins: dict[str, str] = {}
    for done, entry in enumerate(manifest.media, start=1):
        relative = entry.key.removeprefix(f"{manifest.prefix}/")
        target = dest_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        origins[relative] = _download_one(sources, entry, target)
        if on_progress is not None:
            on_progress(done, len(manifest.media))
    return origins


def _download_one(sources: Sequence[Site], entry: ManifestEntry, target: Path) -> str:
    reasons = []
    for site in sources:
        try:
            site.store.download(entry.key, target)
        except StoreUnavailableError as exc:
            reasons.append(f"{site.name}: {exc}")
            continue
        except ArchiveError as exc:  # missing, or bytes that contradict their own metadata
            reasons.append(f"{site.name}: {exc}")
            continue
        if sha256_file(target) == entry.sha256:
            return site.name
        target.unlink()
        reasons.append(f"{site.name}: bytes do not match the journal's sha256 {entry.sha256}")
    raise IntegrityError(f"{entry.key}: no site holds a copy matching the journal ({'; '.join(reasons)})")


def _data_streams(manifest: RecordingManifest) -> dict[str, str]:
    """Each timed-metadata stream the journal declares, with its kind (``position``)."""
    return {
        stream.name: stream.data.kind
        for event in manifest.events
        if isinstance(event, StartEvent)
        for stream in event.streams
        if stream.data is not None
    }


def _write_tracks(manifest: RecordingManifest, staging: Path) -> dict[str, str]:
    """Write each GPS track as GeoJSON and GPX, from its segments already checked against the journal;
    returns what was written (payload path: what it was made from) for the custody record."""
    derived: dict[str, str] = {}
    positions = [name for name, kind in _data_streams(manifest).items() if kind == POSITION_KIND]
    for stream in positions:
        records: list[PositionRecord] = []
        for event in manifest.events:
            if isinstance(event, SegmentEvent) and event.stream == stream:
                path = staging / "segments" / event.object
                records += parse_position_lines(path.read_bytes(), where=event.object)
        name = f"{manifest.recording_id}-{stream}"
        (staging / f"{name}.geojson").write_bytes(track_geojson(records, name=name))
        (staging / f"{name}.gpx").write_bytes(track_gpx(records, name=name))
        for suffix in ("geojson", "gpx"):
            derived[f"data/{name}.{suffix}"] = (
                f"{len(records)} fixes of stream {stream}, converted from data/segments/{stream}/ as archived"
            )
    return derived


def _stream_parts(manifest: RecordingManifest, segments_dir: Path) -> list[StreamParts]:
    runs: dict[str, list[list[Path]]] = {}
    current_init: dict[str, str] = {}
    starts: dict[str, datetime] = {}
    data_streams = _data_streams(manifest)
    for event in manifest.events:
        if not isinstance(event, SegmentEvent) or event.stream in data_streams:
            continue
        # a segment journaled before any init decodes with the stream's first one
        stream, init = event.stream, event.init or f"{event.stream}/init.mp4"
        if current_init.get(stream) != init:
            runs.setdefault(stream, []).append([segments_dir / init])
            current_init[stream] = init
        runs[stream][-1].append(segments_dir / event.object)
        if event.t_start_utc is not None and stream not in starts:
            starts[stream] = datetime.fromisoformat(event.t_start_utc)
    earliest = min(starts.values(), default=None)
    return [
        StreamParts(
            name,
            tuple(tuple(run) for run in stream_runs),
            0.0 if earliest is None or name not in starts else (starts[name] - earliest).total_seconds(),
        )
        for name, stream_runs in runs.items()
    ]


def _bag_info(
    manifest: RecordingManifest, sources: Sequence[Site], now: datetime, exported_by: str
) -> dict[str, str]:
    journal = list(zip(manifest.lines, manifest.events, strict=True))
    stop = next((line.at for line, event in reversed(journal) if isinstance(event, StopEvent)), "not stopped")
    checkpoints = sum(1 for event in manifest.events if isinstance(event, CheckpointEvent))
    start = manifest.start
    device = (start.device_id if start else "") or "unknown"
    room, court = (start.room, start.court) if start else (None, None)
    custody = (
        f"Recorded by device {device} in room {room} of {court}"
        f" from {manifest.started_at} to {stop}; {len(manifest.media)} objects sealed with SHA-256 into a"
        f" hash-chained journal of {len(manifest.lines)} lines signed (Ed25519) at {checkpoints} checkpoints,"
        f" Merkle root {manifest.root}; archived at {', '.join(str(s) for s in sources)};"
        f" every object re-verified against the journal on export at {now.isoformat()} by {exported_by}."
    )
    return {
        "Source-Organization": court or "unknown",
        "External-Identifier": manifest.recording_id,
        "External-Description": f"Audio-video recording of a hearing, case {manifest.case or 'none'}",
        "Bag-Software-Agent": exported_by,
        "Bagging-Date": now.date().isoformat(),
        "Courtrec-Recording-Id": manifest.recording_id,
        "Courtrec-Case": manifest.case or "none",
        "Courtrec-Court": court or "unknown",
        "Courtrec-Room": room or "unknown",
        "Courtrec-Device-Id": device,
        "Courtrec-Device-Public-Key": start.public_key if start else "unknown",
        "Courtrec-Merkle-Root": manifest.root,
        "Courtrec-Journal-Head": manifest.lines[-1].digest,
        "Courtrec-Chain-Of-Custody": custody,
    }


def _custody(
    manifest: RecordingManifest,
    origins: dict[str, str],
    commands: list[str],
    now: datetime,
    compliance_records: Sequence[ComplianceRecord],
) -> dict[str, Any]:
    related = [
        dict(record.line.fields)
        for record in compliance_records
        if concerns(record.event, manifest.recording_id, manifest.case)
    ]
    objects = {
        rel: {"sha256": e.sha256, "from_site": origins[rel]} for rel, e in _by_relative(manifest).items()
    }
    return {
        "recording_id": manifest.recording_id,
        "prefix": manifest.prefix,
        "exported_at": now.isoformat(),
        "checks": [
            "journal hash chain (seq, prev) across every chunk",
            "every checkpoint's Merkle root and Ed25519 signature (device key from the start line)",
            "every archived object's SHA-256 equals its journal line",
        ],
        "merkle_root": manifest.root,
        "journal_head": manifest.lines[-1].digest,
        "objects": objects,
        "problems_seen_on_other_copies": list(manifest.problems),
        "mp4": {"joined_without_reencoding": True, "ffmpeg_commands": commands},
        "compliance_records": related,
    }


def _write_tag_files(bag_dir: Path, manifest: RecordingManifest, custody: dict[str, Any]) -> None:
    journal_dir = bag_dir / "journal"
    journal_dir.mkdir()
    for key, data in manifest.chunks.items():
        (journal_dir / key.rsplit("/", 1)[-1]).write_bytes(data)
    custody_dir = bag_dir / "courtrec"
    custody_dir.mkdir()
    (custody_dir / "custody.json").write_text(json.dumps(custody, indent=2, sort_keys=True), encoding="utf-8")


def _by_relative(manifest: RecordingManifest) -> dict[str, ManifestEntry]:
    return {entry.key.removeprefix(f"{manifest.prefix}/"): entry for entry in manifest.media}
