"""Recordings an earlier run of the body camera left in progress (a crash, a power cut, kill -9).

Each activation makes a new recording, so nothing would ever resume these: at start the agent
closes them (:meth:`capture.recording.recorder.Recorder.close_left`) before anything else touches the spool,
so what they left on disk is salvaged, journaled and uploaded, and their journals end with a stop.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from archive import ArchiveError
from archive.formats import check_identifier
from archive.spool import RecordingSpool


def left_in_progress(spool: Path) -> Iterator[str]:
    """Ids of the spool's recordings whose journal does not end with a stop (a torn last line
    counts as not ending with one)."""
    root = spool / "recordings"
    if not root.is_dir():
        return
    for directory in sorted(root.iterdir()):
        try:
            check_identifier(directory.name, what="recording id")
        except ArchiveError:
            continue  # not a recording of ours
        chunks = sorted(RecordingSpool(spool, directory.name).journal_dir.glob("*.jsonl"))
        if chunks and not _ends_with_stop(chunks[-1]):
            yield directory.name


def _ends_with_stop(chunk: Path) -> bool:
    lines = [line for line in chunk.read_bytes().split(b"\n") if line.strip()]
    try:
        types = [json.loads(line).get("type") for line in lines[-2:]]
    except (ValueError, AttributeError):
        return False
    return "stop" in types
