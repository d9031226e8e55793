"""The local control endpoint's token: a file only the agent's user may read (like the device key).

The endpoint listens on loopback only, but every local process and user reaches loopback: without a
token any of them could activate or stop the camera. The token is generated on first use (256 bits)
into ``spool/device/control-token`` (or ``--control-token-file``), created 0600; a file readable by
group or others is refused, as is one too short to be a secret. Whoever is allowed to control the
camera (the device's own console, run as the agent's user) reads it and sends
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from capture.errors import CaptureError

MIN_TOKEN_LENGTH = 32


def default_control_token_path(spool: Path) -> Path:
    """Where the token lives unless ``--control-token-file`` says otherwise."""
    return spool / "device" / "control-token"


def load_or_create_control_token(path: Path) -> str:
    """The token in ``path``, generated there (mode 0600) when the file does not exist.

    Raises CaptureError naming the file when it is readable by others, unreadable, or too short.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_urlsafe(32)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CaptureError(f"control token {path} cannot be created: {exc.strerror or exc}") from exc
        try:
            os.write(descriptor, token.encode("ascii") + b"\n")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return token
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise CaptureError(
            f"control token {path} has mode {mode:o}; only the agent's user may read it (chmod 600 {path})"
        )
    try:
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CaptureError(f"control token {path} cannot be read: {exc}") from exc
    if len(token) < MIN_TOKEN_LENGTH:
        raise CaptureError(f"control token {path} holds {len(token)} characters; at least {MIN_TOKEN_LENGTH}")
    return token
