"""The portal's SQL schema (SQLAlchemy 2 declarative models; migrations in ``portal/migrations``)."""

from portal.models.audit import AuditRecord
from portal.models.cases import Case, CaseEvent, Hearing, HearingStatus, Notice, Party, ProcedureKind
from portal.models.devices import CheckpointAnchor, DeviceKey, KeyStatus
from portal.models.enforcement import EnforcementAction, EnforcementActionDevice, EnforcementActionRecording
from portal.models.fleet import (
    CommandAction,
    DeviceCommand,
    DeviceHeartbeat,
    DeviceRequestNonce,
    EnrolmentCode,
    FleetDevice,
)
from portal.models.gap_explanations import GapExplanation
from portal.models.org import STAFF_ROLES, Court, Courtroom, OperatorCourt, Role, User
from portal.models.recordings import LinkAlarm, Recording, Verification
from portal.models.review import Grant, ReviewRequest, ReviewStatus
from portal.models.room_state import RecorderState, RoomState
from portal.models.security import LoginThrottle, SecretSlip, WebSession

__all__ = [
    "STAFF_ROLES",
    "AuditRecord",
    "Case",
    "CaseEvent",
    "CheckpointAnchor",
    "CommandAction",
    "Court",
    "Courtroom",
    "DeviceCommand",
    "DeviceHeartbeat",
    "DeviceKey",
    "DeviceRequestNonce",
    "EnforcementAction",
    "EnforcementActionDevice",
    "EnforcementActionRecording",
    "EnrolmentCode",
    "FleetDevice",
    "GapExplanation",
    "Grant",
    "Hearing",
    "HearingStatus",
    "KeyStatus",
    "LinkAlarm",
    "LoginThrottle",
    "Notice",
    "OperatorCourt",
    "Party",
    "ProcedureKind",
    "RecorderState",
    "Recording",
    "ReviewRequest",
    "ReviewStatus",
    "Role",
    "RoomState",
    "SecretSlip",
    "User",
    "Verification",
    "WebSession",
]
