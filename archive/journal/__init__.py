"""The per-recording journal: its line format, the hash-chained writer with signed Merkle checkpoints,
reading and trusting chains, the device signing key.
"""

from archive.journal.chain import ChainReport, read_chain
from archive.journal.device_key import DeviceKey, load_or_create_device_key, verify_signature
from archive.journal.format import EventType, JournalLine, SegmentFlag
from archive.journal.merkle import merkle_root
from archive.journal.trust import ChainState
from archive.journal.writer import JournalWriter, list_chunks

__all__ = [
    "ChainReport",
    "ChainState",
    "DeviceKey",
    "EventType",
    "JournalLine",
    "JournalWriter",
    "SegmentFlag",
    "list_chunks",
    "load_or_create_device_key",
    "merkle_root",
    "read_chain",
    "verify_signature",
]
