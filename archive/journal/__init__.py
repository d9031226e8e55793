"""The per-recording journal: its line format, the hash-chained writer with signed Merkle checkpoints,
reading and trusting chains, the device signing key.
"""

from archive.journal.chain import ChainReport, read_chain
from archive.journal.device_key import DeviceKey, load_or_create_device_key, verify_signature
from archive.journal.events import (
    ActivateEvent,
    ActivationTrigger,
    AlarmEvent,
    CheckpointEvent,
    ClockStepEvent,
    DeactivateEvent,
    GapEvent,
    InitEvent,
    JournalEvent,
    LeafEvent,
    OriginEvent,
    PauseEvent,
    RecordingFailedEvent,
    RepairEvent,
    ResumeEvent,
    SegmentEvent,
    StartEvent,
    StopEvent,
    parse_event,
)
from archive.journal.format import EventType, JournalLine, SegmentFlag
from archive.journal.merkle import merkle_root
from archive.journal.stream_declaration import AudioDeclaration, StreamDeclaration, VideoDeclaration
from archive.journal.trust import ChainState
from archive.journal.writer import JournalWriter, list_chunks

__all__ = [
    "ActivateEvent",
    "ActivationTrigger",
    "AlarmEvent",
    "AudioDeclaration",
    "ChainReport",
    "ChainState",
    "CheckpointEvent",
    "ClockStepEvent",
    "DeactivateEvent",
    "DeviceKey",
    "EventType",
    "GapEvent",
    "InitEvent",
    "JournalEvent",
    "JournalLine",
    "JournalWriter",
    "LeafEvent",
    "OriginEvent",
    "PauseEvent",
    "RecordingFailedEvent",
    "RepairEvent",
    "ResumeEvent",
    "SegmentEvent",
    "SegmentFlag",
    "StartEvent",
    "StopEvent",
    "StreamDeclaration",
    "VideoDeclaration",
    "list_chunks",
    "load_or_create_device_key",
    "merkle_root",
    "parse_event",
    "read_chain",
    "verify_signature",
]
