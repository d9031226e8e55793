"""Optional face masking of the public rendition (2013 opinion art. 12: privacy), with OpenCV.

Only the public HLS copy is touched (decode → mask → encode once per public hearing); the record
and the command-centre wall keep the original picture.

Limits, and why this is a safeguard rather than a guarantee:
* The detector is OpenCV's YuNet (``cv2.FaceDetectorYN``; OpenCV 5 dropped the Haar cascades
  from its main module). No package we install ships YuNet's ONNX weights and nothing may be
  fetched at run time, so the deployment provides the file (``COURTREC_STREAMING_FACE_MODEL``,
  e.g. ``face_detection_yunet_2023mar.onnx`` from the OpenCV model zoo). Without it, opening a
  masked broadcast is refused: a hearing is never shown unmasked by accident.
* YuNet misses faces that are small (under ~20 px at half size), strongly turned away, covered
  or badly lit; the threshold trades misses against false boxes.
* Detection runs on every ``detect_every``-th frame at half size and each box is held for
  ``hold_frames`` frames, so a face that moves fast can show briefly at a box's edge.
* A missed detection exposes the face for that moment. Where a participant must never be shown,
  frame the camera to exclude them, or cut the public stream (the clerk's cut) while they appear.
* Cost: one decode and one x264 ``ultrafast`` encode of the public stream, plus detection —
  about a third of a core at 720p30 on the reference machine; nothing per viewer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.codeccontext import VideoCodecContext
from numpy.typing import NDArray

from streaming.feed import RelayedPacket
from streaming.public.packager import VIDEO_TIME_BASE, VideoTransform
from streaming.settings import StreamingSettings

logger = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # x, y, width, height in pixels
Detector = Callable[[NDArray[np.uint8]], list[Box]]  # luma plane -> face boxes

_NEUTRAL = 128
_BLOCK = 16


def yunet_detector(model_path: Path, score_threshold: float = 0.6) -> Detector:
    """A detector running OpenCV's YuNet model at half size; raises ValueError if it cannot load."""
    try:
        detector = cv2.FaceDetectorYN.create(str(model_path), "", (320, 320), score_threshold)
    except cv2.error as exc:
        raise ValueError(f"cannot load the face model {model_path}: {exc}") from exc

    def detect(luma: NDArray[np.uint8]) -> list[Box]:
        small = cv2.resize(luma, (luma.shape[1] // 2, luma.shape[0] // 2), interpolation=cv2.INTER_AREA)
        detector.setInputSize((small.shape[1], small.shape[0]))
        _, faces = detector.detect(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR))
        if faces is None:
            return []
        return [(int(f[0]) * 2, int(f[1]) * 2, int(f[2]) * 2, int(f[3]) * 2) for f in faces]

    return detect


def pixelate(planes: NDArray[np.uint8], width: int, height: int, boxes: list[Box]) -> None:
    """Mosaic the luma and grey the chroma of every box (grown by a quarter) in a yuv420p array, in place."""
    for x, y, w, h in boxes:
        grow_w, grow_h = w // 4, h // 4
        left, top = max(0, x - grow_w) // 2 * 2, max(0, y - grow_h) // 2 * 2
        right, bottom = min(width, x + w + grow_w) // 2 * 2, min(height, y + h + grow_h) // 2 * 2
        if right <= left or bottom <= top:
            continue
        region = planes[top:bottom, left:right]
        small = cv2.resize(region, (max(1, (right - left) // _BLOCK), max(1, (bottom - top) // _BLOCK)))
        region[:] = cv2.resize(small, (right - left, bottom - top), interpolation=cv2.INTER_NEAREST)
        # yuv420p as one (h*3/2, w) array: U then V, each h/2 rows of w/2 packed two to an array row
        for plane_top in (height, height + height // 4):
            for row in range(top // 2, bottom // 2):
                start = plane_top + row // 2, (row % 2) * (width // 2)
                planes[start[0], start[1] + left // 2 : start[1] + right // 2] = _NEUTRAL


class FaceMaskTransform(VideoTransform):
    """Decodes the public video, masks detected faces, re-encodes it with keyframes per segment."""

    def __init__(
        self,
        detector: Detector,
        *,
        keyframe_seconds: float = 2.0,
        detect_every: int = 3,
        hold_frames: int = 15,
    ) -> None:
        self._detect = detector
        self._keyframe_ticks = round(keyframe_seconds / VIDEO_TIME_BASE)
        self._detect_every = detect_every
        self._hold = hold_frames
        decoder = av.CodecContext.create("h264", "r")
        assert isinstance(decoder, VideoCodecContext)
        self._decoder = decoder
        self._encoder: VideoCodecContext | None = None
        self._frames = 0
        self._boxes: list[Box] = []
        self._boxes_age = 0
        self._last_key: int | None = None
        self.faces_masked = 0

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
            out.extend(self._encode(self._mask(frame), packet.arrival))
        return out

    def flush(self) -> list[RelayedPacket]:
        """Whatever the encoder still holds."""
        if self._encoder is None:
            return []
        return self._wrap(self._encoder.encode(None), 0.0)

    def _mask(self, frame: av.VideoFrame) -> av.VideoFrame:
        # a copy: the decoder keeps its frames as references for the next pictures
        planes = np.asarray(frame.to_ndarray(format="yuv420p"), dtype=np.uint8)
        width, height = frame.width, frame.height
        if self._frames % self._detect_every == 0:
            found = self._detect(planes[:height])
            if found:
                self._boxes, self._boxes_age = found, 0
        self._frames += 1
        self._boxes_age += 1
        if self._boxes_age > self._hold:
            self._boxes = []
        if self._boxes:
            self.faces_masked += len(self._boxes)
            pixelate(planes, width, height, self._boxes)
        masked = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        masked.pts = frame.pts
        masked.time_base = VIDEO_TIME_BASE
        return masked

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


def default_mask_factory(settings: StreamingSettings) -> Callable[[], VideoTransform] | None:
    """Masking transforms using the YuNet model ``settings.face_model``, or None without one."""
    if settings.face_model is None or not settings.face_model.is_file():
        return None
    try:
        detector = yunet_detector(settings.face_model)
    except ValueError as exc:
        logger.warning("face masking unavailable: %s", exc)
        return None
    seconds = settings.hls_segment_seconds
    return lambda: FaceMaskTransform(detector, keyframe_seconds=seconds)
