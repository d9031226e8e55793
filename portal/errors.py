"""The portal package's exception tree: every error it raises derives from PortalError.

The HTTP layer maps each class to one status code (see ``http_errors``); messages are safe to show
to the person who made the request (they never name another party's data).
"""


class PortalError(Exception):
    """Base of every error raised by the portal package."""


class ConfigurationError(PortalError):
    """The portal's settings cannot be used (e.g. a placeholder secret outside development)."""


NOT_FOUND_MESSAGE = "未找到，或您无权查看"


class NotFoundError(PortalError):
    """The object does not exist, or the caller may not know that it exists (answered as 404).

    Scoped objects (cases, hearings, recordings, applications, grants, parties) are refused with the
    one default message, whatever the kind and whether the object is missing or another court's or
    party's, so that the answer reveals nothing.
    """

    def __init__(self, message: str = NOT_FOUND_MESSAGE) -> None:
        super().__init__(message)


class AuthenticationError(PortalError):
    """The caller is not signed in, the session has expired, or sign-in failed (answered as 401)."""


class PermissionDeniedError(PortalError):
    """The caller is signed in but this action is not allowed to them (answered as 403)."""


class RuleViolationError(PortalError):
    """The request breaks a legal or business rule, e.g. a late notice without exception (409)."""


class InvalidInputError(PortalError):
    """The request is well-formed but its values are not accepted (answered as 422)."""


class UnavailableError(PortalError):
    """A service the request needs is down (answered as 503); nothing was changed or disclosed."""


class StoreError(UnavailableError):
    """The recording archive could not be read (answered as 503); the cause is chained."""


class AuditUnavailableError(UnavailableError):
    """The audit log could not record an entry, so the audited answer is withheld (503)."""
