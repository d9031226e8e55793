"""portal: the FastAPI web portal — hearing notices, party case look-up, review of recordings, audit.

See DESIGN.md. Imports ``archive``; nothing imports ``portal``. The package root stays light (its
errors): a command-line call does not load the web app unless it serves or needs it
(``portal.web.app.create_app``).
"""

from portal.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PortalError,
    RuleViolationError,
    StoreError,
)

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "InvalidInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "PortalError",
    "RuleViolationError",
    "StoreError",
]
