"""The streaming server's settings, from COURTREC_STREAMING_* environment variables (built on demand).

Complex values are JSON, e.g. ``COURTREC_STREAMING_DEVICE_TOKENS='{"bodycam-007": "s3cret"}'``,
``COURTREC_STREAMING_DEVICE_ROOMS='{"bodycam-007": ["bodycam-007/*"]}'`` or
``COURTREC_STREAMING_ICE_SERVERS='[{"urls": ["turn:turn.court.example:3478"], "username": "u",
"credential": "p"}]'``.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.formats.http_url import http_url_problem
from archive.formats.identifiers import CODE_PATTERN
from archive.formats.secret_strength import SECRET_HINT, secret_weakness
from streaming.cors_origin import origin_problem
from streaming.http_limits import HeaderTimeoutSeconds, KeepAliveSeconds, MaxConnections, MaxHeaderBytes

_IDENTIFIER = CODE_PATTERN
_NAME = re.compile(CODE_PATTERN, re.ASCII)


class IceServerConfig(BaseModel):
    """One STUN or TURN server (``stun:host:port``, ``turn:host:port?transport=udp``)."""

    urls: list[str] = Field(min_length=1)
    username: str | None = None
    credential: str | None = None

    @field_validator("urls")
    @classmethod
    def _check_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("stun:", "stuns:", "turn:", "turns:")):
                raise ValueError(
                    f"ICE server URLs must start with stun:, stuns:, turn: or turns: (got {url!r})"
                )
        return urls


class StreamingSettings(BaseSettings):
    """Everything ``python -m streaming serve`` and the mounted live app need.

    No public STUN server is ever used implicitly: with ``ice_servers`` empty, peers offer only
    host candidates (fine on a court LAN or loopback; bodycams on mobile networks need TURN).
    """

    model_config = SettingsConfigDict(env_prefix="COURTREC_STREAMING_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=1, le=65535)
    ice_servers: list[IceServerConfig] = Field(default_factory=list)
    ice_host_addresses: list[str] = Field(
        default_factory=list,
        description="gather host candidates on exactly these local addresses (e.g. 127.0.0.1); "
        "empty: every non-loopback interface, aioice's default",
    )
    ice_gather_loopback: bool = Field(
        default=False,
        description="also gather on 127.0.0.1 (besides ice_host_addresses, or every interface when that "
        "is empty): browsers on this machine and on the LAN both reach the server (make run)",
    )
    ice_allowed_networks: list[str] = Field(
        default_factory=list,
        description="drop remote candidates outside these networks (e.g. 127.0.0.0/8); empty: keep all",
    )
    device_tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description="device id -> bearer token allowed to publish (WHIP)"
    )
    device_rooms: dict[str, list[str]] = Field(
        default_factory=dict,
        description="device id -> the feeds it may publish: room/stream, or room/* for every stream "
        "of the room; a device without bindings may publish nothing (deny by default)",
    )
    operator_token: SecretStr | None = Field(
        default=None,
        description="bearer token for the wall and operator API when run standalone; "
        "none: everything behind operator sign-in is refused",
    )
    public_dir: Path = Field(default=Path(".run/public-live"), description="static origin for public HLS")
    public_base_url: str | None = Field(
        default=None,
        description="where viewers fetch public HLS (a CDN in front of the object-store prefix); "
        "none: this app serves public_dir",
    )
    public_feeds: list[str] = Field(
        default_factory=list, description="feeds (room/stream) broadcast publicly from the start"
    )
    broadcast_delay_seconds: float = Field(default=30.0, ge=0.0, le=600.0)
    hls_segment_seconds: float = Field(default=2.0, ge=1.0, le=10.0)
    hls_window_segments: int = Field(default=6, ge=3, le=60)
    mask_faces: bool = False
    face_model: Path | None = Field(
        default=None,
        description="OpenCV YuNet ONNX face model for masking "
        "(none: OpenCV's Haar frontal-face cascade from the opencv wheel)",
    )
    face_detect_width: int = Field(
        default=320,
        ge=160,
        le=1920,
        description="width in px of the copy faces are detected in; a face must be ~20 px wide there",
    )
    node_modules: Path = Field(default=Path("node_modules"), description="where npm installed hls.js")
    lost_feed_seconds: float = Field(
        default=20.0,
        ge=0.5,
        le=3600.0,
        description="a feed whose publisher left stays listed (as lost) this long; a publisher that "
        "sends no media this long is disconnected",
    )
    ingest_connect_seconds: float = Field(
        default=15.0,
        ge=0.2,
        le=120.0,
        description="a WHIP session whose peer connection is not up this long after its answer is "
        "closed and its feed freed (a publisher that never completes ICE)",
    )
    max_sessions_per_device: int = Field(
        default=8,
        ge=1,
        le=64,
        description="WHIP sessions one device may hold at once (connecting or live); one more is "
        "refused with 429",
    )
    max_sdp_bytes: int = Field(
        default=128 * 1024,
        ge=4 * 1024,
        le=1024 * 1024,
        description="largest WHIP/WHEP offer body accepted (413 beyond, refused before it is read)",
    )
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="largest body of any other request to the live server (operator forms and JSON)",
    )
    keep_alive_seconds: KeepAliveSeconds = 5
    header_timeout_seconds: HeaderTimeoutSeconds = 10.0
    max_header_bytes: MaxHeaderBytes = 16 * 1024
    max_connections: MaxConnections = 500
    cors_origins: list[str] = Field(
        default_factory=list,
        description="browser origins (scheme://host[:port]) allowed to call WHIP and WHEP from another "
        "origin, e.g. a player on https://player.court.example; empty: same-origin only. Never with "
        "credentials: a cross-origin caller sends its bearer token in Authorization",
    )
    keyframe_request_seconds: float = Field(
        default=2.0, ge=0.5, le=30.0, description="at most one keyframe request upstream per feed this often"
    )

    @field_validator("device_tokens")
    @classmethod
    def _check_device_tokens(cls, tokens: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for device, token in tokens.items():
            _require_strong(f"the token of device {device!r}", token)
        return tokens

    @field_validator("operator_token")
    @classmethod
    def _check_operator_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None:
            _require_strong("the operator token", token)
        return token

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            problem = origin_problem(origin)
            if problem is not None:
                raise ValueError(f"a CORS origin {problem} (got {origin!r})")
        return origins

    @field_validator("public_base_url")
    @classmethod
    def _check_public_base_url(cls, url: str | None) -> str | None:
        if url is not None:
            problem = http_url_problem(url)
            if problem is not None:
                raise ValueError(f"must be an http:// or https:// URL with a host: {problem} (got {url!r})")
        return url

    @field_validator("ice_host_addresses")
    @classmethod
    def _check_addresses(cls, addresses: list[str]) -> list[str]:
        for address in addresses:
            ipaddress.ip_address(address)
        return addresses

    @field_validator("ice_allowed_networks")
    @classmethod
    def _check_networks(cls, networks: list[str]) -> list[str]:
        for network in networks:
            ipaddress.ip_network(network, strict=False)
        return networks

    @field_validator("device_rooms")
    @classmethod
    def _check_bindings(cls, bindings: dict[str, list[str]]) -> dict[str, list[str]]:
        for device, patterns in bindings.items():
            for pattern in patterns:
                room, _, stream = pattern.partition("/")
                if not (_NAME.fullmatch(room) and (stream == "*" or _NAME.fullmatch(stream))):
                    raise ValueError(
                        f"device {device!r}: a binding is room/stream or room/* with names "
                        f"{CODE_PATTERN} (got {pattern!r})"
                    )
        return bindings

    @field_validator("public_feeds")
    @classmethod
    def _check_feeds(cls, feeds: list[str]) -> list[str]:
        for feed in feeds:
            room, _, stream = feed.partition("/")
            if not (room and stream):
                raise ValueError(f"public feeds are room/stream (got {feed!r})")
        return feeds


def _require_strong(what: str, token: SecretStr) -> None:
    """ValueError naming ``what`` when the token is too weak to guard publishing or the wall."""
    weakness = secret_weakness(token.get_secret_value())
    if weakness is not None:
        raise ValueError(f"{what} {weakness}: {SECRET_HINT}")
