"""The POSIX steps that make a write survive a crash: fsync the file, rename, fsync the directory."""

from __future__ import annotations

import contextlib
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
    directory) when it does not exist yet.

    All or nothing: when the append fails (a full disk writes only part of it, or the fsync fails),
    the file is cut back to its old length before the OSError is raised, so a journal never keeps
    half a line that the next append would run into.
    """
    created = not path.exists()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        old_size = os.fstat(descriptor).st_size
        try:
            view = memoryview(data)
            written = 0
            while written < len(view):
                written += os.write(descriptor, view[written:])
            os.fsync(descriptor)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, old_size)
            raise
    finally:
        os.close(descriptor)
    if created:
        fsync_directory(path.parent)
