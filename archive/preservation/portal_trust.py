"""Fetching what verification trusts from the portal's API: its signed key list and a recording's
anchored checkpoint heads (``GET /api/trust/device-keys``, ``GET /api/trust/recordings/{id}/anchors``,
``Authorization: Bearer`` COURTREC_PORTAL_VERIFY_TOKEN)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from archive.errors import ArchiveError
from archive.formats.identifiers import check_identifier
from archive.journal.signing.anchor import CheckpointHead, decode_heads
from archive.journal.signing.key_list import SignedKeyList, load_key_list

KEYS_PATH = "/api/trust/device-keys"
ANCHORS_PATH = "/api/trust/recordings/{recording_id}/anchors"


class PortalTrust:
    """A client of the portal's trust API at ``portal_url``."""

    def __init__(self, portal_url: str, token: str, *, timeout_seconds: float = 10.0) -> None:
        if not portal_url.startswith(("http://", "https://")):
            raise ArchiveError(f"the portal URL must start with http:// or https:// (got {portal_url!r})")
        self._base = portal_url.rstrip("/")
        self._token = token
        self._timeout = timeout_seconds

    @property
    def source(self) -> str:
        return f"portal {self._base}"

    def key_list(self, *, trusted_issuer: str | None) -> SignedKeyList:
        """The portal's signed key list, verified (against ``trusted_issuer`` when given).

        Raises ArchiveError when the portal cannot be asked or the list does not verify."""
        return load_key_list(
            self._get(KEYS_PATH), trusted_issuer=trusted_issuer, where=self.source + KEYS_PATH
        )

    def heads(self, recording_id: str) -> list[CheckpointHead]:
        """Every checkpoint head the portal anchored for ``recording_id``."""
        check_identifier(recording_id, what="recording id")
        path = ANCHORS_PATH.format(recording_id=urllib.parse.quote(recording_id))
        return decode_heads(self._get(path), where=self.source + path)

    def _get(self, path: str) -> bytes:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self._base + path, headers={"Authorization": f"Bearer {self._token}"}, method="GET"
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                body: bytes = response.read()
        except urllib.error.HTTPError as exc:
            hint = " (check COURTREC_PORTAL_VERIFY_TOKEN)" if exc.code in (401, 403) else ""
            raise ArchiveError(f"{self.source}{path}: HTTP {exc.code} {exc.reason}{hint}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ArchiveError(f"{self.source}{path}: unreachable ({getattr(exc, 'reason', exc)})") from exc
        return body
