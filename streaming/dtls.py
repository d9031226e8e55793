"""DTLS with peers whose certificate is RSA (GStreamer's webrtcbin, many vendors' encoders and players).

Our WHIP/WHEP answers take ``a=setup:active`` (aiortc's choice, and what JSEP recommends), so on the
server aiortc is the DTLS *client*. aiortc 1.16 offers only ECDHE-ECDSA cipher suites
(``RTCCertificate._create_ssl_context``); a DTLS server holding an RSA certificate can pick none of
them and the handshake ends in "no shared cipher" right after ICE succeeded. The suite a server picks
is bound to the *server's* certificate, and aiortc's own certificate (ECDSA P-256) only ever signs as
a client, so widening the list is enough: we offer aiortc's ECDSA suites first (ECDSA servers such
as Chromium and aiortc negotiate exactly as before), then the ECDHE-RSA AEAD suites. aiortc's open
pull request 1392 makes the same change upstream.

aiortc builds the SSL context in the private ``RTCCertificate._create_ssl_context``; we wrap that
method once for the whole process (idempotent). Every aiortc peer in the process then accepts RSA
DTLS servers — the widening only adds suites, and aiortc's own ECDSA certificate and key stay
what they are. aiortc is pinned to 1.16.x; tests/streaming/test_aiortc_hooks.py pins the method and
aiortc's list, tests/streaming/test_dtls.py proves the handshakes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from aiortc.rtcdtlstransport import RTCCertificate

from streaming.errors import AiortcInternalsError

AIORTC_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
)
"""What aiortc 1.16 offers on its own (for servers with an ECDSA certificate), in its order."""

RSA_AEAD_CIPHERS = (
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
)
"""What we add for DTLS servers with an RSA certificate: forward-secret AEAD suites only."""

CIPHER_LIST = ":".join(AIORTC_CIPHERS + RSA_AEAD_CIPHERS)

_install_lock = threading.Lock()

ContextFactory = Callable[[RTCCertificate, list[Any]], Any]


def accept_rsa_dtls_servers() -> None:
    """Wrap ``RTCCertificate._create_ssl_context`` once (idempotent); see the module docstring.

    Raises AiortcInternalsError when the pinned aiortc no longer has that method.
    """
    with _install_lock:
        current = getattr(RTCCertificate, "_create_ssl_context", None)
        if current is None:
            raise AiortcInternalsError(
                "aiortc's RTCCertificate._create_ssl_context is gone: update streaming/dtls.py"
            )
        if getattr(current, "_courtrec_hook", False):
            return
        setattr(RTCCertificate, "_create_ssl_context", _widening(current))  # noqa: B010


def _widening(original: ContextFactory) -> ContextFactory:
    def _create_ssl_context(self: RTCCertificate, srtp_profiles: list[Any]) -> Any:
        context = original(self, srtp_profiles)
        context.set_cipher_list(CIPHER_LIST.encode("ascii"))
        return context

    _create_ssl_context._courtrec_hook = True  # type: ignore[attr-defined]
    _create_ssl_context.__wrapped__ = original  # type: ignore[attr-defined]
    return _create_ssl_context
