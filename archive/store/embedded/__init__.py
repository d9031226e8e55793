"""The embedded object store: a real SeaweedFS S3 server (``weed mini``) on loopback, owned by us.

:mod:`~archive.store.embedded.store` starts, seals and stops it (:class:`EmbeddedStore`);
:mod:`~archive.store.embedded.credentials` keeps its generated S3 keys,
:mod:`~archive.store.embedded.weed_security` its gRPC certificates and JWT keys,
:mod:`~archive.store.embedded.weed_process` finds ``weed`` and derives its ports, and
:mod:`~archive.store.embedded.readiness` waits, saying what for, while it starts.

The names below are re-exported lazily (PEP 562): settings read the start-up timeout from
``readiness`` without loading the store, and through it ``minio``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

if TYPE_CHECKING:
    from archive.store.embedded.store import DEFAULT_PUBLIC_BUCKET, EmbeddedStore

__all__ = ["DEFAULT_PUBLIC_BUCKET", "EmbeddedStore"]

__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "store": ["DEFAULT_PUBLIC_BUCKET", "EmbeddedStore"],
    },
)
