"""The portal package's exception tree."""


class PortalError(Exception):
    """Base of every error raised by the portal package."""
