"""Just enough of the H.264 Annex-B byte stream to tell keyframes from other access units."""

from __future__ import annotations

_NAL_IDR = 5
_NAL_NON_IDR = 1
_START = b"\x00\x00\x01"
_SCAN_LIMIT = 16  # NAL units looked at before giving up (SPS, PPS, SEI... come first)


def is_keyframe(access_unit: bytes) -> bool:
    """True when the Annex-B access unit holds an IDR slice (NAL type 5).

    Only the first few NAL units are looked at: encoders put SPS/PPS/SEI first and stop at the
    first slice, so a non-IDR slice ends the scan early and the cost stays tiny per frame.
    """
    position = 0
    for _ in range(_SCAN_LIMIT):
        found = access_unit.find(_START, position)
        if found < 0 or found + 3 >= len(access_unit):
            return False
        nal_type = access_unit[found + 3] & 0x1F
        if nal_type == _NAL_IDR:
            return True
        if nal_type == _NAL_NON_IDR:
            return False
        position = found + 3
    return False


def starts_with_parameter_sets(access_unit: bytes) -> bool:
    """True when an SPS (NAL type 7) is among the first NAL units (a decoder can start here)."""
    position = 0
    for _ in range(_SCAN_LIMIT):
        found = access_unit.find(_START, position)
        if found < 0 or found + 3 >= len(access_unit):
            return False
        nal_type = access_unit[found + 3] & 0x1F
        if nal_type == 7:
            return True
        if nal_type in (_NAL_IDR, _NAL_NON_IDR):
            return False
        position = found + 3
    return False
