"""The embedded object store: a real SeaweedFS S3 server (``weed mini``) on loopback, owned by us.

:mod:`~archive.store.embedded.store` starts, seals and stops it (:class:`EmbeddedStore`);
:mod:`~archive.store.embedded.credentials` keeps its generated S3 keys,
:mod:`~archive.store.embedded.weed_security` its gRPC certificates and JWT keys,
:mod:`~archive.store.embedded.weed_process` finds ``weed`` and derives its ports, and
:mod:`~archive.store.embedded.readiness` waits, saying what for, while it starts.
"""

from archive.store.embedded.store import DEFAULT_PUBLIC_BUCKET, EmbeddedStore

__all__ = ["DEFAULT_PUBLIC_BUCKET", "EmbeddedStore"]
