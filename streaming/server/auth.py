"""Who may publish (devices, by bearer token) and who may watch (operators, by an injected check).

The operator check is a seam: the composition root passes any ``authorize(request) -> bool``
(the portal passes its operator-session check). Standalone, :class:`TokenAuthorizer` accepts one
operator token as a bearer header or as the cookie the wall's sign-in form sets. With no token
configured everything is refused: deny by default.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping

from pydantic import SecretStr
from starlette.requests import HTTPConnection

Authorizer = Callable[[HTTPConnection], bool | Awaitable[bool]]
"""Decides whether a request comes from a signed-in operator (sync or async)."""

OPERATOR_COOKIE = "courtrec_live_operator"


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def deny_all(_connection: HTTPConnection) -> bool:
    """The authorizer used when nothing else is configured."""
    return False


class TokenAuthorizer:
    """Accepts requests carrying ``token`` as a bearer header or in the operator cookie."""

    def __init__(self, token: SecretStr) -> None:
        secret = token.get_secret_value()
        if len(secret) < 16:
            raise ValueError("the operator token must be at least 16 characters")
        self._token = secret.encode()

    def __call__(self, connection: HTTPConnection) -> bool:
        offered = bearer_token(connection) or connection.cookies.get(OPERATOR_COOKIE)
        return offered is not None and self.matches(offered)

    def matches(self, offered: str) -> bool:
        """Constant-time comparison with the configured token."""
        return hmac.compare_digest(offered.encode(), self._token)


class DeviceTokens:
    """Maps the bearer token of a WHIP request to the device it was issued to."""

    def __init__(self, tokens: Mapping[str, SecretStr]) -> None:
        self._tokens = {device: secret.get_secret_value().encode() for device, secret in tokens.items()}

    def device_for(self, connection: HTTPConnection) -> str | None:
        """The device whose token the request carries, or None (compared in constant time)."""
        offered = bearer_token(connection)
        if offered is None:
            return None
        found: str | None = None
        for device, token in self._tokens.items():
            if hmac.compare_digest(offered.encode(), token):
                found = device
        return found
