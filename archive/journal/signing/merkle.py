"""Merkle tree head over segment hashes, hashed as RFC 9162 (Certificate Transparency v2) section 2.1.1.

A journal checkpoint signs the root over every segment hash sealed so far, so that removing, reordering
or altering any segment changes the signed root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(_LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Return MTH(leaves) as defined by RFC 9162: the empty tree hashes to SHA-256 of nothing.

    The split point is the largest power of two smaller than the number of leaves, so that the tree
    of a prefix of the leaves is a subtree of the tree of all of them (which is what makes consistency
    proofs possible later).
    """
    count = len(leaves)
    if count == 0:
        return hashlib.sha256(b"").digest()
    if count == 1:
        return leaf_hash(leaves[0])
    split = 1 << ((count - 1).bit_length() - 1)
    return node_hash(merkle_root(leaves[:split]), merkle_root(leaves[split:]))
