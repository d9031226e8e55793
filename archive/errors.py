"""The archive package's exception tree: every error it raises derives from ArchiveError."""


class ArchiveError(Exception):
    """Base of every error raised by the archive package."""


class IntegrityError(ArchiveError):
    """Stored evidence does not match what was recorded (hash, chain, signature or sequence)."""


class JournalError(ArchiveError):
    """A journal cannot be written or read as a valid hash chain."""


class SpoolError(ArchiveError):
    """The local spool cannot be used (missing, unwritable, full)."""


class StoreUnavailableError(ArchiveError):
    """The object store cannot be reached or failed on its side (refused, timed out, 5xx); retryable."""


class StoreAuthError(ArchiveError):
    """The object store rejected our credentials or denied the request (not retryable as is)."""


class ChecksumMismatchError(IntegrityError):
    """The store rejected our SHA-256 (BadDigest) or holds bytes whose SHA-256 differs from ours."""


class ObjectConflictError(ArchiveError):
    """The key already holds an object with a different SHA-256; it is never overwritten."""


class ObjectNotFoundError(ArchiveError):
    """The requested object (or its bucket) does not exist."""


class EmbeddedStoreError(ArchiveError):
    """The embedded SeaweedFS server cannot be found, started or stopped."""


class ExportError(ArchiveError):
    """An export (BagIt bag, joined MP4) could not be produced or did not validate."""


class PublicOriginError(ArchiveError):
    """The public live origin cannot be used: pointed at an evidence bucket, or it refused a request."""
