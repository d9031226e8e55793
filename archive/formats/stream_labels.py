"""What a person calls a recorded stream: ``judge-cam`` is 审判席摄像机, ``mic-2`` is 麦克风 2.

Stream names are short ASCII codes the agent chooses (``[a-z0-9][a-z0-9-]*``, a source's ``name=``
option or ``<kind>-<n>``); people read the position in the courtroom and the kind of device instead.
:func:`stream_label` builds that from the words of the name it knows (seat, kind, number) and falls
back to 摄像机 with the name's number; it never fails, so every stream gets a label.
"""

from __future__ import annotations

import re

# Where in the courtroom (or whose): the first of these words in a name wins.
_PLACES = {
    "judge": "审判席",
    "bench": "审判席",
    "presiding": "审判长席",
    "clerk": "书记员席",
    "plaintiff": "原告席",
    "defendant": "被告席",
    "appellant": "上诉人席",
    "appellee": "被上诉人席",
    "prosecutor": "公诉人席",
    "defence": "辩护人席",
    "defense": "辩护人席",
    "witness": "证人席",
    "dock": "被告人席",
    "gallery": "旁听席",
    "public": "旁听席",
    "wide": "全景",
    "panorama": "全景",
    "overview": "全景",
    "evidence": "证据展示",
    "screen": "证据展示",
    "body": "执法记录仪",
    "bodycam": "执法记录仪",
}
# What kind of device: the kind words of source specs (synthetic, v4l2, rtsp, …) are cameras unless
# they carry sound only.
_KINDS = {
    "cam": "摄像机",
    "camera": "摄像机",
    "video": "摄像机",
    "v4l2": "摄像机",
    "rtsp": "摄像机",
    "http": "摄像机",
    "https": "摄像机",
    "file": "摄像机",
    "synthetic": "摄像机",
    "mic": "麦克风",
    "microphone": "麦克风",
    "audio": "麦克风",
    "alsa": "麦克风",
    "pulse": "麦克风",
    "mix": "混音",
    "gps": "位置轨迹",
    "notes": "记录",
}
_NAMED_NUMBER = re.compile(r"([a-z]+)([0-9]+)")


def _words(stream: str) -> list[str]:
    """The name's words, a word with a number glued on split off (``cam1`` → cam, 1)."""
    words: list[str] = []
    for token in stream.lower().replace("_", "-").split("-"):
        glued = _NAMED_NUMBER.fullmatch(token)
        if glued is not None and glued.group(1) in {*_PLACES, *_KINDS}:
            words.extend(glued.groups())
        elif token:
            words.append(token)
    return words


def stream_label(stream: str) -> str:
    """The Chinese label of ``stream``, e.g. ``judge-cam`` → 审判席摄像机, ``cam-2`` → 摄像机 2,
    ``mic`` → 麦克风, ``wide`` → 全景摄像机, an unknown ``xyz-3`` → 摄像机 3（xyz-3）; a camera's own
    sound track file ``judge-cam.audio`` → 审判席摄像机的声音."""
    source, dot, track = stream.partition(".")
    if dot and track == "audio":
        return f"{stream_label(source)}的声音"
    words = _words(stream)
    place = next((_PLACES[w] for w in words if w in _PLACES), "")
    kind = next((_KINDS[w] for w in words if w in _KINDS), "")
    number = next((w.lstrip("0") or "0" for w in words if w.isdigit()), "")
    unknown = [w for w in words if not w.isdigit() and w not in _PLACES and w not in _KINDS]
    if place == "执法记录仪" and kind == "摄像机":
        kind = ""  # a body camera is one
    elif not kind:
        kind = "" if place == "执法记录仪" else "摄像机"
    label = f"{place}{kind}"
    if number:
        label = f"{label} {number}"
    if unknown and not place:
        label = f"{label}（{stream}）"  # nothing to go by but the code itself: keep it readable
    return label
