"""The portal's generated secret key, kept in its data directory so every process shares it.

Relay tokens (``/media/<token>``), CSRF tokens and viewer hashes are signed with the portal's secret.
A key generated per process would make a token issued by one ``serve`` process useless at another, so
when no ``COURTREC_PORTAL_SECRET_KEY`` is configured (development only) the key is generated once into
``DATA_DIR/portal-secret-key`` (mode 0600) and read by every later process on that directory.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from portal.errors import ConfigurationError

SECRET_FILE_NAME = "portal-secret-key"  # noqa: S105 - a file name, not a secret


def load_or_create_secret(path: Path) -> str:
    """The key in ``path``, or a new random one written there first (mode 0600).

    Two processes starting together end with the same key: the file appears complete or not at all
    (written under a temporary name, then hard-linked into place, which fails if another was first).
    Raises ConfigurationError when the file is readable by others, empty or not a regular file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, secrets.token_urlsafe(32).encode() + b"\n")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(partial, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            partial.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ConfigurationError(f"the portal's secret key file {path} is not a regular file")
    if info.st_mode & 0o077:
        mode = info.st_mode & 0o777
        raise ConfigurationError(f"the portal's secret key file {path} has mode {mode:o}; it must be 0600")
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        raise ConfigurationError(f"the portal's secret key file {path} holds no usable key (delete it)")
    return key
