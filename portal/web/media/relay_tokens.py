"""Short-lived portal URLs for one stored object, for browsers that cannot reach the store.

With ``COURTREC_PORTAL_MEDIA_DELIVERY=portal`` (``make run --host 0.0.0.0``) a segment route still
answers with a redirect, but to ``/media/<token>`` on the portal itself instead of a presigned GET on
the store's endpoint (often 127.0.0.1, which a phone on the LAN cannot reach). The token names the
object key and an expiry and is signed with the portal's secret (HMAC-SHA256), so it grants exactly
what a presigned URL would: one object, for at most its lifetime, and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta

from portal.errors import NotFoundError

MEDIA_PREFIX = "/media/"
_CONTEXT = b"courtrec-media-relay:"  # separates these signatures from every other use of the secret


class MediaTokens:
    """Signs and opens relay tokens with ``secret``; ``now`` is the portal's clock."""

    def __init__(self, secret: str, now: Callable[[], datetime]) -> None:
        self._secret = hashlib.sha256(_CONTEXT + secret.encode()).digest()
        self._now = now

    def url(self, key: str, lifetime: timedelta) -> str:
        """The portal path that relays ``key`` until ``lifetime`` from now."""
        expires = int((self._now() + lifetime).timestamp())
        payload = _encode(f"{expires}:{key}".encode())
        return f"{MEDIA_PREFIX}{payload}.{_encode(self._mac(payload))}"

    def key_of(self, token: str) -> str:
        """The object key ``token`` grants; NotFoundError when it is forged, malformed or expired
        (the answer never says which)."""
        payload, _, signature = token.partition(".")
        try:
            presented = _decode(signature)
            expires_text, _, key = _decode(payload).decode().partition(":")
            expires = int(expires_text)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise NotFoundError("此链接无效或已过期，请重新打开播放页面") from None
        if not hmac.compare_digest(presented, self._mac(payload)) or not key:
            raise NotFoundError("此链接无效或已过期，请重新打开播放页面")
        if self._now().timestamp() >= expires:
            raise NotFoundError("此链接无效或已过期，请重新打开播放页面")
        return key

    def _mac(self, payload: str) -> bytes:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode(text: str) -> bytes:
    if not text or len(text) > 1024:
        raise ValueError("bad length")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
