"""CSRF protection for forms and cookie-authenticated API calls.

Signed-in requests carry the session's own random token (form field ``csrf_token`` or header
``X-CSRF-Token``). Sign-in forms, which have no session yet, use a signed double submit: a random
nonce in a short-lived cookie, and HMAC(secret, nonce) in the form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from portal.errors import PermissionDeniedError

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PRE_SESSION_COOKIE = "csrf_nonce"


def check_session_token(expected: str, presented: str | None) -> None:
    """Raise PermissionDeniedError unless ``presented`` equals the session's token (constant time)."""
    if not presented or not hmac.compare_digest(expected.encode(), presented.encode()):
        raise PermissionDeniedError("表单已过期或并非来自本站，请刷新页面后重试")


def new_nonce() -> str:
    """A fresh random nonce for the pre-sign-in cookie."""
    return secrets.token_urlsafe(24)


def form_token(secret: str, nonce: str) -> str:
    """The token a sign-in form carries for the cookie ``nonce``."""
    return hmac.new(secret.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def check_pre_session_token(secret: str, nonce: str | None, presented: str | None) -> None:
    """Raise PermissionDeniedError unless ``presented`` is the token of the cookie ``nonce``."""
    if not nonce or not presented:
        raise PermissionDeniedError("表单已过期或并非来自本站，请刷新页面后重试")
    check_session_token(form_token(secret, nonce), presented)
