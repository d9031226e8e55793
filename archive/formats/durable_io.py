"""The POSIX steps that make a write survive a crash: fsync the file, rename, fsync the directory."""

from __future__ import annotations

import os
from pathlib import Path

from archive.formats.crash_points import crash_point


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
    A temporary left by a write cut short by a crash is overwritten (it was never acknowledged).
    """
    if path.exists():
        raise FileExistsError(f"{path} exists; evidence files are never overwritten")
    temporary = durable_temporary(path)
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.link(temporary, path)  # link fails if path appeared meanwhile, unlike rename
    crash_point("durable_write.linked", path.name)
    temporary.unlink()
    fsync_directory(path.parent)


def durable_temporary(path: Path) -> Path:
    """The temporary name :func:`write_file_durably` writes ``path`` under first."""
    return path.with_name(path.name + ".tmp")


def finish_interrupted_link(temporary: Path, final: Path) -> bool:
    """Complete a rename-by-link cut short by a crash: when ``temporary`` and ``final`` are the same
    file (linked, temporary name not yet dropped), drop the temporary name and fsync the directory.

    Returns True when it did; False (touching nothing) when either is missing or they differ.
    """
    try:
        same = os.path.samefile(temporary, final)
    except FileNotFoundError:
        return False
    if same:
        temporary.unlink()
        fsync_directory(final.parent)
    return same


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
