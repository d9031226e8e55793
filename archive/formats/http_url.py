"""Whether a configured URL is one an HTTP client can use: http(s), a host, a port in range."""

from __future__ import annotations

from urllib.parse import urlsplit


def http_url_problem(url: str) -> str | None:
    """Why ``url`` is not an http(s) URL naming a host (and a valid port), or None."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return "the port must be in 1..65535"
    if parts.scheme not in ("http", "https"):
        return "the scheme is not http or https"
    if not parts.hostname:
        return "there is no host"
    if port == 0:
        return "the port must be in 1..65535"
    return None
