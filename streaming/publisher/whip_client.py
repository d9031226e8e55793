"""The HTTP half of WHIP (RFC 9725) for our publisher: POST the offer, DELETE the session."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from streaming.errors import PublishError

_SDP = "application/sdp"


@dataclass(frozen=True, slots=True)
class WhipSession:
    """What a WHIP endpoint answered: the SDP answer and the session resource URL."""

    answer_sdp: str
    location: str


class WhipClient:
    """Talks to one WHIP endpoint URL with one bearer token; ``timeout`` is per request, in seconds."""

    def __init__(self, endpoint: str, token: str | None, *, timeout: float = 10.0) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise PublishError(f"the WHIP endpoint must be an http(s) URL (got {endpoint!r})")
        self._endpoint = endpoint
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout

    async def publish(self, offer_sdp: str) -> WhipSession:
        """POST ``offer_sdp``; raises PublishError for a refusal, a bad answer or a transport error."""
        headers = {**self._headers, "Content-Type": _SDP}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._endpoint, content=offer_sdp.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise PublishError(f"WHIP endpoint {self._endpoint} unreachable: {exc!r}") from exc
        if response.status_code != 201:
            raise PublishError(
                f"WHIP endpoint {self._endpoint} answered {response.status_code}: {response.text[:200]}"
            )
        location = response.headers.get("location")
        if not location or not response.headers.get("content-type", "").startswith(_SDP):
            raise PublishError("WHIP answer without Location or without an SDP body")
        return WhipSession(answer_sdp=response.text, location=urljoin(self._endpoint, location))

    async def end(self, session: WhipSession) -> None:
        """DELETE the session; raises PublishError when that fails (the server may be gone)."""
        try:
            async with httpx.AsyncClient(timeout=min(self._timeout, 3.0)) as client:
                response = await client.delete(session.location, headers=self._headers)
        except httpx.HTTPError as exc:
            raise PublishError(f"WHIP DELETE failed: {exc!r}") from exc
        if response.status_code not in (200, 204, 404):
            raise PublishError(f"WHIP DELETE answered {response.status_code}")
