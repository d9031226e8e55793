"""The per-recording journal: its line format, the hash-chained writer with signed Merkle checkpoints,
reading and trusting chains, the device signing key.
"""

from archive.journal.activation_events import ActivateEvent, ActivationTrigger, DeactivateEvent
from archive.journal.chain import ChainReport, read_chain
from archive.journal.clerk_events import (
    ClerkEvent,
    NoteEvent,
    NoteKind,
    PauseReason,
    ReadinessCheck,
    ReadinessEvent,
    ReadinessItem,
    SealBeginEvent,
    SealEndEvent,
)
from archive.journal.events import JournalEvent, parse_event
from archive.journal.format import EventType, JournalLine, SegmentFlag
from archive.journal.incident_events import (
    AlarmEvent,
    ClockStepEvent,
    GapEvent,
    RecordingFailedEvent,
    RepairEvent,
)
from archive.journal.run_events import PauseEvent, ResumeEvent, StartEvent, StopEvent
from archive.journal.segment_events import CheckpointEvent, InitEvent, LeafEvent, OriginEvent, SegmentEvent
from archive.journal.signing.device_key import DeviceKey, load_or_create_device_key, verify_signature
from archive.journal.signing.merkle import merkle_root
from archive.journal.signing.trust import ChainState
from archive.journal.stream_declaration import (
    CMAF_TRACK_FILE,
    AudioDeclaration,
    DataDeclaration,
    StreamDeclaration,
    VideoDeclaration,
)
from archive.journal.writer import JournalWriter, list_chunks

__all__ = [
    "CMAF_TRACK_FILE",
    "ActivateEvent",
    "ActivationTrigger",
    "AlarmEvent",
    "AudioDeclaration",
    "ChainReport",
    "ChainState",
    "CheckpointEvent",
    "ClerkEvent",
    "ClockStepEvent",
    "DataDeclaration",
    "DeactivateEvent",
    "DeviceKey",
    "EventType",
    "GapEvent",
    "InitEvent",
    "JournalEvent",
    "JournalLine",
    "JournalWriter",
    "LeafEvent",
    "NoteEvent",
    "NoteKind",
    "OriginEvent",
    "PauseEvent",
    "PauseReason",
    "ReadinessCheck",
    "ReadinessEvent",
    "ReadinessItem",
    "RecordingFailedEvent",
    "RepairEvent",
    "ResumeEvent",
    "SealBeginEvent",
    "SealEndEvent",
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
