"""Sealing a finished file: the local acknowledgement that a piece of evidence exists (DESIGN.md).

Order: the writer has written the temporary file; we fsync it, link it to its final name (which
fails rather than replace anything), drop the temporary name, fsync the directory, and hash the
final bytes from disk. Only then may the caller journal it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from archive.formats.crash_points import crash_point
from archive.formats.durable_io import finish_interrupted_link, fsync_directory
from archive.formats.hashing import sha256_file


@dataclass(frozen=True, slots=True)
class SealedFile:
    """A file that is durable under its final name, with the SHA-256 of its bytes."""

    path: Path
    sha256: str
    size: int


def seal_file(temporary: Path, final: Path) -> SealedFile:
    """Make ``temporary`` durable as ``final`` and hash it.

    Restartable: when a crash cut an earlier call between the link and dropping the temporary name
    (both names are the same file), that call is finished instead. Raises FileExistsError when
    ``final`` is another file (evidence is never replaced) and OSError on I/O errors.
    """
    if finish_interrupted_link(temporary, final):
        return SealedFile(path=final, sha256=sha256_file(final), size=final.stat().st_size)
    with temporary.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.link(temporary, final)
    crash_point("seal.linked", final.name)
    temporary.unlink()
    fsync_directory(final.parent)
    return SealedFile(path=final, sha256=sha256_file(final), size=final.stat().st_size)
