"""portal: the FastAPI web portal — hearing notices, party case look-up, review of recordings, audit.

See DESIGN.md. Imports ``archive``; nothing imports ``portal``.
"""

from portal.audit.trail import AuditAction, AuditEntry, AuditReport, verify_chain
from portal.clock import Clock, FrozenClock, SystemClock
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
from portal.migrate import upgrade
from portal.settings import Environment, PortalSettings
from portal.web.app import create_app

__all__ = [
    "AuditAction",
    "AuditEntry",
    "AuditReport",
    "AuthenticationError",
    "Clock",
    "ConfigurationError",
    "Environment",
    "FrozenClock",
    "InvalidInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "PortalError",
    "PortalSettings",
    "RuleViolationError",
    "StoreError",
    "SystemClock",
    "create_app",
    "upgrade",
    "verify_chain",
]
