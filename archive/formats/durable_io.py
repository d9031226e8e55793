"""The POSIX steps that make a write survive a crash: fsync the file, rename, fsync the directory."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_directory(directory: Path) -> None:
    """fsync a directory so that a rename or a new file in it is durable (POSIX needs both fsyncs)."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_file_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp name, fsync, rename, directory fsync.

    Refuses to replace an existing file (evidence is never overwritten): raises FileExistsError.
    """
    if path.exists():
        raise FileExistsError(f"{path} exists; evidence files are never overwritten")
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.link(temporary, path)  # link fails if path appeared meanwhile, unlike rename
    temporary.unlink()
    fsync_directory(path.parent)


def append_durably(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` and fsync before returning; creates the file (and fsyncs its
    directory) when it does not exist yet."""
    created = not path.exists()
    with path.open("ab") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if created:
        fsync_directory(path.parent)
