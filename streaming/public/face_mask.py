"""Optional face masking of the public rendition (2013 opinion art. 12: privacy), with OpenCV.

Only the public HLS copy is touched: the public packager decodes the relayed H.264, masks it and
encodes it once per public hearing. The record and the command-centre wall keep the original
picture (they never pass through this module).

How a frame is masked:
* every ``detect_every``-th frame, a detector (face_detector.py: OpenCV's Haar frontal-face
  cascade by default) looks for faces in a luma copy scaled down to 320 px;
* each face found is masked from ``detect_every`` frames before to ``hold_frames`` after that
  frame, in a box grown by a margin that widens with the distance (face_boxes.py). Frames wait
  for the next detection before they are encoded (``detect_every`` frames, ~0.1 s: nothing next
  to the broadcast delay), so a face entering the picture is masked from its first frame;
* a masked box keeps only about six luma samples across the grown box (three or four across
  the face), enlarged again smoothly, and no colour: a grey blur with nothing left of the
  features a face is recognised by (far below the ~8 cycles per face width that takes), and
  without the tile edges a mosaic leaves.

Limits, and why this is a safeguard rather than a guarantee:
* the cascade finds frontal faces only, of at least ~80 px in a 1280-px-wide picture; it misses
  faces in profile, covered, strongly turned or badly lit. A face missed for longer than the hold
  is shown. Where a participant must never be shown, frame the camera to exclude them, or cut the
  public stream (the clerk's cut) while they appear.
* Cost at 720p30 on the reference machine (2 cores, CPU time): decode + x264 ``ultrafast``
  re-encode ~3 ms per frame; one detection ~22-26 ms (cascade on 320x180), every 4th frame;
  ~12 ms per frame in all, about 0.36 of a core per masked public broadcast; nothing per viewer.
  ``detect_every`` trades that cost against how long a face can go unseen.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
import cv2
import numpy as np
from av.video.codeccontext import VideoCodecContext
from numpy.typing import NDArray

from streaming.public.face_boxes import Box, FaceHold
from streaming.public.face_detector import Detector, haar_detector_factory, yunet_detector_factory
from streaming.public.packager import VIDEO_TIME_BASE, VideoTransform
from streaming.relayed import RelayedPacket
from streaming.settings import StreamingSettings

logger = logging.getLogger(__name__)

_NEUTRAL = 128  # chroma of grey
_SAMPLES_ACROSS = 6  # luma samples kept across the longer side of a (grown) box
_MIN_SAMPLE = 8  # px: a tiny face still loses everything finer than this


def blur_boxes(planes: NDArray[np.uint8], width: int, height: int, boxes: list[Box]) -> None:
    """Blur the luma to a few samples and grey the chroma of every box in a yuv420p array, in place.

    ``planes`` is PyAV's yuv420p ndarray: ``height * 3 / 2`` rows of ``width``, C-contiguous (the
    Y plane, then U and V of ``height / 2`` rows of ``width / 2`` each, packed). Boxes are clipped
    to the picture and widened to even coordinates, so the chroma covers them too. Raises
    ValueError for an array that is not contiguous (it could not be changed in place).
    """
    if not planes.flags.c_contiguous or planes.size != width * height * 3 // 2:
        raise ValueError(f"not a contiguous {width}x{height} yuv420p array (got shape {planes.shape})")
    flat = planes.reshape(-1)  # a view, as the array is contiguous
    luma = flat[: width * height].reshape(height, width)
    quarter = (width // 2) * (height // 2)
    chroma = (
        flat[width * height : width * height + quarter].reshape(height // 2, width // 2),
        flat[width * height + quarter : width * height + 2 * quarter].reshape(height // 2, width // 2),
    )
    for box in boxes:
        left, top = max(0, box.x) // 2 * 2, max(0, box.y) // 2 * 2
        right = min(width, math.ceil(box.right / 2) * 2)
        bottom = min(height, math.ceil(box.bottom / 2) * 2)
        if right <= left or bottom <= top:
            continue
        region = luma[top:bottom, left:right]
        step = max(_MIN_SAMPLE, math.ceil(max(right - left, bottom - top) / _SAMPLES_ACROSS))
        samples = (max(1, round((right - left) / step)), max(1, round((bottom - top) / step)))
        small = cv2.resize(region, samples, interpolation=cv2.INTER_AREA)
        region[:] = cv2.resize(small, (right - left, bottom - top), interpolation=cv2.INTER_LINEAR)
        for plane in chroma:
            plane[top // 2 : bottom // 2, left // 2 : right // 2] = _NEUTRAL


@dataclass(slots=True)
class _Pending:
    """A decoded picture waiting for the next detection (which may find a face it shows too)."""

    index: int
    planes: NDArray[np.uint8]
    width: int
    height: int
    pts: int
    arrival: float


class FaceMaskTransform(VideoTransform):
    """Decodes the public video, masks detected faces, re-encodes it with keyframes per segment.

    ``detector`` runs on every ``detect_every``-th frame; a face it finds is masked from
    ``detect_every`` frames before to ``hold_frames`` frames after (default: three detections).
    Output lags input by up to ``detect_every - 1`` frames.
    """

    def __init__(
        self,
        detector: Detector,
        *,
        keyframe_seconds: float = 2.0,
        detect_every: int = 4,
        hold_frames: int | None = None,
    ) -> None:
        if detect_every < 1:
            raise ValueError(f"'detect_every' must be >= 1 (got {detect_every})")
        self._detect = detector
        self._keyframe_ticks = round(keyframe_seconds / VIDEO_TIME_BASE)
        self._detect_every = detect_every
        hold = 3 * detect_every if hold_frames is None else hold_frames
        self._hold = FaceHold(hold_frames=hold, lead_frames=detect_every)
        decoder = av.CodecContext.create("h264", "r")
        assert isinstance(decoder, VideoCodecContext)
        self._decoder = decoder
        self._encoder: VideoCodecContext | None = None
        self._frames = 0
        self._pending: list[_Pending] = []
        self._last_key: int | None = None
        self.faces_masked = 0  # boxes masked, summed over frames
        self.detections = 0  # detector runs

    def process(self, packet: RelayedPacket) -> list[RelayedPacket]:
        """Masked, re-encoded packets for ``packet`` (none until the first decodable keyframe)."""
        source = av.Packet(packet.data)
        source.pts = round(packet.pts * packet.time_base / VIDEO_TIME_BASE)
        source.time_base = VIDEO_TIME_BASE
        try:
            frames = self._decoder.decode(source)
        except av.FFmpegError:
            return []  # joined mid-GOP or a lost packet: wait for the next keyframe
        out: list[RelayedPacket] = []
        for frame in frames:
            out.extend(self._take(frame, packet.arrival))
        return out

    def flush(self) -> list[RelayedPacket]:
        """The frames still waiting (masked with the faces seen so far) and what the encoder holds."""
        out = self._release()
        if self._encoder is not None:
            out.extend(self._wrap(self._encoder.encode(None), 0.0))
        return out

    def _take(self, frame: av.VideoFrame, arrival: float) -> list[RelayedPacket]:
        # a copy: the decoder keeps its frames as references for the next pictures
        planes = np.ascontiguousarray(frame.to_ndarray(format="yuv420p"), dtype=np.uint8)
        assert frame.pts is not None
        index = self._frames
        self._frames += 1
        self._pending.append(_Pending(index, planes, frame.width, frame.height, frame.pts, arrival))
        if index % self._detect_every != 0:
            return []
        self._hold.record(index, self._detect(planes[: frame.height]))
        self.detections += 1
        return self._release()

    def _release(self) -> list[RelayedPacket]:
        out: list[RelayedPacket] = []
        for picture in self._pending:
            boxes = self._hold.boxes(picture.index)
            if boxes:
                self.faces_masked += len(boxes)
                blur_boxes(picture.planes, picture.width, picture.height, boxes)
            masked = av.VideoFrame.from_ndarray(picture.planes, format="yuv420p")
            masked.pts = picture.pts
            masked.time_base = VIDEO_TIME_BASE
            out.extend(self._encode(masked, picture.arrival))
        self._pending.clear()
        return out

    def _encode(self, frame: av.VideoFrame, arrival: float) -> list[RelayedPacket]:
        if self._encoder is None:
            self._encoder = _open_encoder(frame.width, frame.height)
        assert frame.pts is not None
        if self._last_key is None or frame.pts - self._last_key >= self._keyframe_ticks:
            frame.pict_type = av.video.frame.PictureType.I
            self._last_key = frame.pts
        return self._wrap(self._encoder.encode(frame), arrival)

    @staticmethod
    def _wrap(packets: list[av.Packet], arrival: float) -> list[RelayedPacket]:  # type: ignore[type-arg]
        return [
            RelayedPacket("video", bytes(p), int(p.pts or 0), VIDEO_TIME_BASE, p.is_keyframe, arrival)
            for p in packets
        ]


def _open_encoder(width: int, height: int) -> VideoCodecContext:
    encoder = av.CodecContext.create("libx264", "w")
    assert isinstance(encoder, VideoCodecContext)
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = VIDEO_TIME_BASE
    encoder.framerate = Fraction(30)
    encoder.max_b_frames = 0
    # no global header: SPS/PPS stay in-band, as the packager (and any player joining late) needs
    encoder.options = {"preset": "ultrafast", "tune": "zerolatency", "forced-idr": "1", "sc_threshold": "0"}
    encoder.open()
    return encoder


def default_mask_factory(settings: StreamingSettings) -> Callable[[], VideoTransform]:
    """Masking transforms with the YuNet model ``settings.face_model`` when set, else OpenCV's
    Haar frontal-face cascade; raises FaceMaskingError naming the file that is missing or bad."""
    if settings.face_model is not None:
        detectors = yunet_detector_factory(settings.face_model, detect_width=settings.face_detect_width)
    else:
        detectors = haar_detector_factory(detect_width=settings.face_detect_width)
    seconds = settings.hls_segment_seconds
    return lambda: FaceMaskTransform(detectors(), keyframe_seconds=seconds)
