"""archive: checksummed segments and journals in S3, store-and-forward upload, verification,
backup to a second site, fixity audits with repair, retention and legal hold, restore and export.

Imports no other courtrec package. This package's own ``__init__`` stays light (errors, alarms, the stop
request): the capabilities live in subpackages, each exporting what other packages use —
``archive.formats`` (what streaming may import too), ``archive.journal``, ``archive.spool``,
``archive.store``, ``archive.preservation``, ``archive.retention``, ``archive.export``; settings in
``archive.settings``.
"""

from archive.alarms import Alarm, AlarmSeverity, AlarmSink
from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    EmbeddedStoreError,
    ExportError,
    IntegrityError,
    JournalError,
    ObjectConflictError,
    ObjectNotFoundError,
    PublicOriginError,
    SpoolError,
    StoreAuthError,
    StoreUnavailableError,
)
from archive.stop_request import StopRequest

__all__ = [
    "Alarm",
    "AlarmSeverity",
    "AlarmSink",
    "ArchiveError",
    "ChecksumMismatchError",
    "EmbeddedStoreError",
    "ExportError",
    "IntegrityError",
    "JournalError",
    "ObjectConflictError",
    "ObjectNotFoundError",
    "PublicOriginError",
    "SpoolError",
    "StopRequest",
    "StoreAuthError",
    "StoreUnavailableError",
]
