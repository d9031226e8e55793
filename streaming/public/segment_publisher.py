"""Where public HLS files go: a static origin directory, or any store behind the same small seam.

Names are relative, ``{room}/{stream}/{file}``. The composition root may pass another
implementation (e.g. one that PUTs into an object-store prefix a CDN serves); streaming itself
never imports the archive package.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol

from streaming.errors import HlsError


class SegmentPublisher(Protocol):
    """Publishes and withdraws public files; called from a broadcast's own thread (may block)."""

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Make ``data`` public under ``name``, replacing any earlier version atomically."""
        ...

    def delete(self, name: str) -> None:
        """Withdraw ``name`` (no error when absent)."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Withdraw every file under ``prefix`` (a ``room/stream`` directory)."""
        ...


class DirectoryPublisher:
    """Writes into ``root`` (served by our app, nginx or a CDN origin): temp file, fsync, rename."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise HlsError(f"refusing to publish outside the public root: {name!r}")
        return path

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Write ``name`` atomically (readers see the old or the new file, never half of one)."""
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            with temporary.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(path)
        except OSError as exc:
            raise HlsError(f"cannot publish {name}: {exc}") from exc

    def delete(self, name: str) -> None:
        """Remove ``name`` if present."""
        try:
            self._path(name).unlink(missing_ok=True)
        except OSError as exc:
            raise HlsError(f"cannot withdraw {name}: {exc}") from exc

    def delete_prefix(self, prefix: str) -> None:
        """Remove the directory ``prefix`` and everything in it."""
        path = self._path(prefix)
        if path == self.root.resolve():
            raise HlsError("refusing to withdraw the whole public root")
        shutil.rmtree(path, ignore_errors=True)
