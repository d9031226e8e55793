"""``python -m archive verify``: gather what verification trusts from outside the recording, verify,
and print what was checked against what.

Trust sources, each optional:

- approved device keys: ``--key-list FILE`` (exported by ``python -m portal devices export-keys``,
  trusted only with the portal's public key: ``--portal-public-key`` or COURTREC_PORTAL_PUBLIC_KEY), or
  the portal's API (``--portal URL`` or COURTREC_PORTAL_URL, with COURTREC_PORTAL_VERIFY_TOKEN);
  ``--public-key`` pins one key instead;
- anchored checkpoint heads: the portal's API, ``--anchors FILE`` (``python -m portal devices
  export-anchors``), and the backup site's ``_courtrec/anchors/`` when COURTREC_BACKUP_S3_* is set.
  The furthest valid head of them all is used, and named in the output.

A source that is configured but cannot be read stops the command (exit 2): verifying as if it had not
been asked for would claim less than the caller expects. Without any source, verify runs and warns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import ArchiveError
from archive.journal.signing.anchor import decode_heads
from archive.journal.signing.key_list import load_key_list
from archive.preservation.anchor_store import read_heads
from archive.preservation.portal_trust import PortalTrust
from archive.preservation.verify import VerifyReport, verify_recording
from archive.preservation.verify_trust import AnchoredHead, KeyListRegistry, KeyRegistry, TrustAnchors
from archive.settings import ArchiveSettings

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """The options of one ``verify`` command."""

    recording_id: str
    public_key: str | None = None
    key_list: Path | None = None
    portal_public_key: str | None = None
    anchors: Path | None = None
    portal_url: str | None = None


def run_verify(request: VerifyRequest, settings: ArchiveSettings, primary: ObjectStore) -> int:
    """Verify and print problems, warnings and notes; 0 intact, 1 problems found."""
    trust = gather_trust(request, settings)
    report = verify_recording(primary, request.recording_id, public_key=request.public_key, trust=trust)
    print_report(report)
    return 0 if report.intact else 1


def print_report(report: VerifyReport) -> None:
    for problem in report.problems:
        print(problem)
    for warning in report.warnings:
        print(f"warning: {warning}")
    for note in report.notes:
        print(f"checked: {note}")
    print(report.summary())


def gather_trust(request: VerifyRequest, settings: ArchiveSettings) -> TrustAnchors:
    """The registry and heads from every configured source; ArchiveError when one cannot be read."""
    issuer = request.portal_public_key or settings.portal_public_key
    portal = _portal(request, settings)
    keys: KeyRegistry | None = None
    heads: list[AnchoredHead] = []
    tried: list[str] = []
    if request.key_list is not None:
        if issuer is None:
            raise ArchiveError(
                f"--key-list {request.key_list}: give the portal's public key (--portal-public-key or"
                " COURTREC_PORTAL_PUBLIC_KEY) to trust it; a key list anyone can sign proves nothing"
            )
        data = _read_file(request.key_list, "key list")
        keys = KeyListRegistry(
            load_key_list(data, trusted_issuer=issuer, where=str(request.key_list)),
            f"key list {request.key_list}",
        )
    if portal is not None:
        if keys is None:
            keys = KeyListRegistry(portal.key_list(trusted_issuer=issuer), f"key list of {portal.source}")
        tried.append(portal.source)
        heads += [AnchoredHead(h, portal.source) for h in portal.heads(request.recording_id)]
    if request.anchors is not None:
        source = f"anchors file {request.anchors}"
        tried.append(source)
        found = decode_heads(_read_file(request.anchors, "anchors file"), where=str(request.anchors))
        heads += [AnchoredHead(h, source) for h in found]
    backup = settings.backup_store()
    if backup is not None:
        from archive.store.object_store import ObjectStore  # noqa: PLC0415 - minio: loaded when a store is opened, not at start-up

        store = ObjectStore(backup)
        source = f"backup site {backup.endpoint}/{backup.bucket}"
        tried.append(source)
        heads += [AnchoredHead(h, source) for h in read_heads(store, request.recording_id)]
    return TrustAnchors(keys=keys, heads=tuple(heads), sources_tried=tuple(tried))


def _portal(request: VerifyRequest, settings: ArchiveSettings) -> PortalTrust | None:
    url = request.portal_url or settings.portal_url
    if not url or (request.portal_url is None and settings.portal_verify_token is None):
        return None  # COURTREC_PORTAL_URL alone (an agent's setting) does not ask the portal
    if settings.portal_verify_token is None:
        raise ArchiveError(f"--portal {url}: set COURTREC_PORTAL_VERIFY_TOKEN to ask the portal")
    return PortalTrust(url, settings.portal_verify_token.get_secret_value())


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ArchiveError(f"{what} {path} cannot be read: {exc.strerror or exc}") from exc
