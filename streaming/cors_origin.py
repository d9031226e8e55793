"""What a configured CORS origin must look like: exactly as a browser sends it in ``Origin``.

A browser serialises an origin as ``scheme://host[:port]``: lower-case scheme and host, no path, no
trailing slash, the port only when it is not the scheme's default. An origin written any other way
would never match, so it is refused when the settings are read instead of silently allowing nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_problem(origin: str) -> str | None:
    """Why ``origin`` is not a browser origin (``http(s)://host[:port]``), or None when it is one."""
    if origin in {"*", "null"}:
        return "must name one site (scheme://host[:port]); '*' and 'null' are not accepted"
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return "must be scheme://host[:port] with a port in 1..65535"
    problems = (
        (parts.scheme not in _DEFAULT_PORTS, "must start with http:// or https://"),
        (
            not parts.hostname or parts.username is not None or parts.password is not None,
            "must name a host (and no user or password)",
        ),
        (
            bool(parts.path or parts.query or parts.fragment) or origin.endswith(("?", "#")),
            "is scheme://host[:port] only: no path, not even a trailing '/'",
        ),
        (origin != origin.lower(), "must be lower-case, as browsers send it"),
        (
            port is not None and port == _DEFAULT_PORTS.get(parts.scheme),
            f"must leave out the default port {port} of {parts.scheme}, as browsers do",
        ),
    )
    return next((problem for failed, problem in problems if failed), None)
