"""RFC 6381 codec strings of what the public packager writes (for a multivariant playlist's CODECS).

H.264 is remuxed as received, so its string comes from the stream's own sequence parameter set
(profile, constraint flags, level); audio is always AAC-LC (``mp4a.40.2``).
"""

from __future__ import annotations

AAC_LC = "mp4a.40.2"
_SPS = 7


def h264_codec_string(annexb: bytes) -> str:
    """``avc1.PPCCLL`` from the first SPS in Annex-B ``annexb`` (a keyframe access unit).

    Raises ValueError when there is no SPS.
    """
    sps = sequence_parameter_set(annexb)
    if sps is None or len(sps) < 4:
        raise ValueError("the keyframe carries no H.264 sequence parameter set (SPS)")
    profile, constraints, level = sps[1], sps[2], sps[3]
    return f"avc1.{profile:02x}{constraints:02x}{level:02x}"


def sequence_parameter_set(annexb: bytes) -> bytes | None:
    """The first SPS NAL unit in Annex-B ``annexb`` (None when it carries none)."""
    for nal in _nal_units(annexb):
        if nal and nal[0] & 0x1F == _SPS:
            return nal
    return None


def _nal_units(annexb: bytes) -> list[bytes]:
    """The NAL units of an Annex-B byte stream (start codes of 3 or 4 bytes)."""
    units: list[bytes] = []
    start = annexb.find(b"\x00\x00\x01")
    while start != -1:
        begin = start + 3
        end = annexb.find(b"\x00\x00\x01", begin)
        unit = annexb[begin:] if end == -1 else annexb[begin:end]
        units.append(unit.rstrip(b"\x00") if end != -1 else unit)
        start = end
    return units
