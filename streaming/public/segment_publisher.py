"""Where public HLS files go: a static origin directory, or any store behind the same small seam.

Names are relative, ``{room}/{stream}/{broadcast id}/{file}``. The composition root may pass another
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
    """Publishes, lists and withdraws public files; called from worker threads (may block).

    Every method raises HlsError when the store fails; a withdrawal that raised has withdrawn
    nothing for certain, so callers try again.
    """

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Make ``data`` public under ``name``, replacing any earlier version atomically."""
        ...

    def delete(self, name: str) -> None:
        """Withdraw ``name`` (no error when absent)."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Withdraw every file under the directory ``prefix`` (no error when there is none)."""
        ...

    def list_names(self, prefix: str = "") -> list[str]:
        """The names of every published file under the directory ``prefix`` ("" for all), sorted."""
        ...


class DirectoryPublisher:
    """Writes into ``root`` (served by our app, nginx or a CDN origin): temp file, fsync, rename.

    Directories left empty by a withdrawal are removed, up to (not including) ``root``.
    """

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
        for attempt in (1, 2):
            try:
                self._write(path, data)
                return
            except FileNotFoundError as exc:
                # a withdrawal pruned the (then empty) directory between our mkdir and our write
                if attempt == 2:
                    raise HlsError(f"cannot publish {name}: {exc}") from exc
            except OSError as exc:
                raise HlsError(f"cannot publish {name}: {exc}") from exc

    def delete(self, name: str) -> None:
        """Remove ``name`` if present."""
        path = self._path(name)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise HlsError(f"cannot withdraw {name}: {exc}") from exc
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> None:
        """Remove the directory ``prefix`` and everything in it. Raises HlsError when anything in it
        could not be removed (nothing is ignored: a file left behind would stay public)."""
        path = self._path(prefix)
        if path == self.root.resolve():
            raise HlsError("refusing to withdraw the whole public root")
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise HlsError(f"cannot withdraw {prefix}/: {exc}") from exc
        self._prune(path.parent)

    def list_names(self, prefix: str = "") -> list[str]:
        """Every file under ``prefix`` (temporary files of interrupted writes included), sorted."""
        root = self.root.resolve()
        base = self._path(prefix) if prefix else root
        try:
            return sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if not p.is_dir())
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise HlsError(f"cannot list the public files under {prefix or '/'}: {exc}") from exc

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)

    def _prune(self, directory: Path) -> None:
        root = self.root.resolve()
        while directory != root and directory.is_relative_to(root):
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass  # already gone: its parent may be empty now
            except OSError:
                return  # not empty: everything above it stays
            directory = directory.parent
