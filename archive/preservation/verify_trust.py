"""What verification trusts from outside the recording: approved device keys and anchored heads.

A journal proves only its own consistency: it names its signing key and ends where it ends. Two
checks need something kept elsewhere:

- the signing key must be an approved device key (:class:`KeyRegistry`: the portal's registry, or
  its signed export :mod:`archive.journal.signing.key_list`), so a journal re-signed with a new key fails;
- the journal must reach the latest checkpoint head anchored outside the recording (the portal's
  heads, the backup site's, or an exported heads file: :mod:`archive.journal.signing.anchor`), so a journal
  cut back to an earlier session fails.

Without a registry or an anchor, verification still runs but says so in a warning ("not checked
against …"): the result is then only as good as the journal's self-consistency, and the report never
pretends otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from archive.journal.format import JournalLine
from archive.journal.signing.anchor import CheckpointHead
from archive.journal.signing.key_list import SignedKeyList


class KeyRegistry(Protocol):
    """Where approved device keys are looked up; ``source`` names it in messages."""

    @property
    def source(self) -> str: ...

    def device_of(self, public_key: str) -> str | None:
        """The device id ``public_key`` is approved for, or None when it is not approved."""
        ...


@dataclass(frozen=True, slots=True)
class KeyListRegistry:
    """A verified signed key list as a registry."""

    keys: SignedKeyList
    source: str

    def device_of(self, public_key: str) -> str | None:
        found = self.keys.find(public_key)
        return None if found is None else found.device_id


@dataclass(frozen=True, slots=True)
class AnchoredHead:
    """A checkpoint head and where it was anchored (``portal http://…``, ``backup site …``, a file)."""

    head: CheckpointHead
    source: str


@dataclass(frozen=True, slots=True)
class TrustAnchors:
    """The key registry and anchored heads a verification checks against (either may be absent)."""

    keys: KeyRegistry | None = None
    heads: tuple[AnchoredHead, ...] = ()
    sources_tried: tuple[str, ...] = ()

    def latest_head(self, recording_id: str) -> AnchoredHead | None:
        """The anchored head of ``recording_id`` furthest along the journal, among those whose
        signature verifies (and, with a registry, whose key is approved)."""
        usable = [
            anchored
            for anchored in self.heads
            if anchored.head.recording_id == recording_id
            and anchored.head.signature_valid()
            and (self.keys is None or self.keys.device_of(anchored.head.public_key) is not None)
        ]
        return max(usable, key=lambda a: (a.head.seq, a.head.tree_size), default=None)


@dataclass(slots=True)
class TrustFindings:
    """What the trust checks found: problems (verification fails), warnings, and notes saying what
    was checked against what."""

    problems: list[str]
    warnings: list[str]
    notes: list[str]


def check_trust(
    recording_id: str,
    lines: Sequence[JournalLine],
    journal_key: str | None,
    device_id: str | None,
    *,
    pinned: bool,
    trust: TrustAnchors,
) -> TrustFindings:
    """Check ``journal_key`` (the key the checkpoints verified with) and the journal's length.

    ``pinned``: the key was given by the person verifying (``--public-key``), so no registry is needed.
    """
    found = TrustFindings([], [], [])
    _check_key(found, journal_key, device_id, pinned=pinned, trust=trust)
    _check_anchor(found, recording_id, lines, journal_key, trust)
    return found


def _check_key(
    found: TrustFindings, key: str | None, device_id: str | None, *, pinned: bool, trust: TrustAnchors
) -> None:
    if key is None:
        return  # no start line: already a problem of the journal itself
    if pinned:
        found.notes.append(f"device key {key} pinned by the caller")
        return
    if trust.keys is None:
        found.warnings.append(
            f"device key {key} not checked against a registry of approved device keys"
            " (give --key-list FILE with --portal-public-key, or --portal URL): a journal re-signed"
            " with another key would pass"
        )
        return
    approved_for = trust.keys.device_of(key)
    if approved_for is None:
        found.problems.append(
            f"device key {key} (journaled for device {device_id}) is not an approved device key"
            f" ({trust.keys.source})"
        )
    elif device_id is not None and approved_for != device_id:
        found.problems.append(
            f"device key {key} is approved for device {approved_for}, but the journal says {device_id}"
            f" ({trust.keys.source})"
        )
    else:
        found.notes.append(f"device key approved for device {approved_for} ({trust.keys.source})")


def _check_anchor(
    found: TrustFindings,
    recording_id: str,
    lines: Sequence[JournalLine],
    key: str | None,
    trust: TrustAnchors,
) -> None:
    anchored = trust.latest_head(recording_id)
    if anchored is None:
        tried = ", ".join(trust.sources_tried) or "none given"
        found.warnings.append(
            f"no anchored checkpoint head for recording {recording_id} (sources: {tried}): a journal"
            " cut back to an earlier checkpoint would pass"
        )
        return
    head, source = anchored.head, anchored.source
    if key is not None and head.public_key != key:
        found.problems.append(
            f"the checkpoint head anchored at {source} is signed by device key {head.public_key},"
            f" the journal by {key}: the journal was re-signed"
        )
    by_seq = {line.seq: line for line in lines}
    line = by_seq.get(head.seq)
    last = lines[-1].seq if lines else -1
    if line is None:
        found.problems.append(
            f"journal ends at seq {last}, but its checkpoint head anchored at {source} is at"
            f" {head.describe()}: the journal was cut back (rolled back or truncated)"
        )
    elif line.digest != head.line_sha256:
        found.problems.append(
            f"journal seq {head.seq} differs from the checkpoint anchored at {source}"
            f" ({head.describe()}): the journal was rewritten"
        )
    else:
        found.notes.append(f"journal reaches the checkpoint head anchored at {source}: {head.describe()}")
