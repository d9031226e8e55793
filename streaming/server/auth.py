"""Who may publish (devices, by bearer token) and who may watch what (operators, by an injected check).

The operator check is a seam: the composition root passes any ``authorize(request) -> FeedScope |
None`` — None for a caller who is no operator, else the feeds (by room) the operator may watch (the
portal passes its operator-session check, scoped to the operator's courts). Standalone,
:class:`TokenAuthorizer` accepts one operator token as a bearer header or as the cookie the wall's
sign-in form sets, and sees every feed. With no token configured everything is refused: deny by
default. Which feeds a device may publish is decided by ``bindings``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr
from starlette.requests import HTTPConnection

from streaming.errors import FeedNotFoundError


@dataclass(frozen=True, slots=True)
class RoomPlace:
    """Where a room is, as people name it: its court and its own name (a courtroom's, e.g. 第一法庭),
    and the official numbers of the cases heard there about now, by the code its devices journal
    (``2026-demo-civ-0001`` → ``（2026）京0105民初1234号``), so the wall shows what people read."""

    court: str
    name: str
    case_numbers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FeedScope:
    """The feeds an operator may watch: those of ``rooms``, or every feed when ``rooms`` is None.

    ``places`` names the rooms the host knows (courtrooms by court, for the wall's labels and its
    court filter); ``sign_out_token`` is what the host's sign-out form needs (the portal's CSRF
    token), if anything.
    """

    rooms: frozenset[str] | None
    places: Mapping[str, RoomPlace] = field(default_factory=dict)
    sign_out_token: str | None = None

    @classmethod
    def everything(cls) -> FeedScope:
        """Every feed (an administrator, the standalone operator token)."""
        return cls(None)

    @classmethod
    def of_rooms(cls, rooms: Iterable[str]) -> FeedScope:
        """The feeds of ``rooms`` only (none when empty)."""
        return cls(frozenset(rooms))

    def allows(self, feed_id: str) -> bool:
        """True when the feed ``room/stream`` is in scope."""
        return self.rooms is None or feed_id.partition("/")[0] in self.rooms

    def require(self, feed_id: str) -> str:
        """``feed_id`` when in scope; FeedNotFoundError otherwise (its existence is not revealed)."""
        if not self.allows(feed_id):
            raise FeedNotFoundError(f"no live feed {feed_id!r}")
        return feed_id


Authorizer = Callable[[HTTPConnection], FeedScope | Awaitable[FeedScope | None] | None]
"""What a request may watch: None unless it comes from a signed-in operator (sync or async)."""

OPERATOR_COOKIE = "courtrec_live_operator"


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def deny_all(_connection: HTTPConnection) -> FeedScope | None:
    """The authorizer used when nothing else is configured: nobody is an operator."""
    return None


class TokenAuthorizer:
    """Accepts requests carrying ``token`` as a bearer header or in the operator cookie (every feed)."""

    def __init__(self, token: SecretStr) -> None:
        secret = token.get_secret_value()
        if len(secret) < 16:
            raise ValueError("the operator token must be at least 16 characters")
        self._token = secret.encode()

    def __call__(self, connection: HTTPConnection) -> FeedScope | None:
        offered = bearer_token(connection) or connection.cookies.get(OPERATOR_COOKIE)
        return FeedScope.everything() if offered is not None and self.matches(offered) else None

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
