"""Face detectors for masking: OpenCV's Haar frontal-face cascade (default) or a YuNet model.

The cascade ships inside the opencv-python-headless 4.x wheel (``cv2.data.haarcascades``), so
masking works with nothing else installed; OpenCV 5 dropped it, hence the ``<5`` pin. A YuNet
ONNX model (better with turned heads and poor light) is used instead when the deployment
provides one (``COURTREC_STREAMING_FACE_MODEL``). Either runs on a copy of the luma plane
scaled down to ``detect_width`` pixels (320 by default): a face must be at least ~20 px wide
there, i.e. ~80 px in a 1280-px-wide picture, to be found.

OpenCV's detectors keep per-call state, so each masking thread gets its own from a
:data:`DetectorFactory`; the file is read once, when the factory is made, and a fault in it is
raised then (FaceMaskingError), never later in a broadcast's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from streaming.errors import FaceMaskingError
from streaming.public.face_boxes import Box

Detector = Callable[[NDArray[np.uint8]], list[Box]]  # full-size luma plane -> face boxes in its pixels
DetectorFactory = Callable[[], Detector]

HAAR_FRONTAL_FACE = "haarcascade_frontalface_default.xml"
_MIN_FACE = 20  # px in the downscaled copy; the cascade's own window is 24


def default_cascade_path() -> Path:
    """Where the installed OpenCV wheel keeps the Haar frontal-face cascade."""
    data = getattr(cv2, "data", None)
    if data is None:
        raise FaceMaskingError(
            f"OpenCV {cv2.__version__} ships no cascade files (cv2.data): "
            "install opencv-python-headless>=4.10,<5 for face masking"
        )
    return Path(data.haarcascades) / HAAR_FRONTAL_FACE


def haar_detector_factory(cascade: Path | None = None, *, detect_width: int = 320) -> DetectorFactory:
    """Detectors running a Haar cascade (default: OpenCV's frontal-face one).

    Raises FaceMaskingError naming the file when it is missing or not a cascade.
    """
    path = cascade or default_cascade_path()
    if not hasattr(cv2, "CascadeClassifier"):
        raise FaceMaskingError(
            f"OpenCV {cv2.__version__} has no CascadeClassifier: install opencv-python-headless>=4.10,<5"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FaceMaskingError(f"the face cascade {path} cannot be read: {exc}") from exc

    def make() -> Detector:
        classifier = _load_cascade(text, path)

        def detect(luma: NDArray[np.uint8]) -> list[Box]:
            small, factor = _downscaled(luma, detect_width)
            # equalised: courtroom lighting is often flat or from one side
            found = classifier.detectMultiScale(
                cv2.equalizeHist(small), scaleFactor=1.1, minNeighbors=4, minSize=(_MIN_FACE, _MIN_FACE)
            )
            return [Box(int(x), int(y), int(w), int(h)).scaled(factor) for x, y, w, h in found]

        return detect

    make()  # fail now, in the caller, rather than in a broadcast's thread
    return make


def yunet_detector_factory(
    model: Path, *, detect_width: int = 320, score_threshold: float = 0.6
) -> DetectorFactory:
    """Detectors running OpenCV's YuNet ONNX model read from ``model``.

    Raises FaceMaskingError naming the file when it is missing or not a model OpenCV can load.
    """
    try:
        weights = np.frombuffer(model.read_bytes(), dtype=np.uint8)
    except OSError as exc:
        raise FaceMaskingError(f"the face model {model} cannot be read: {exc}") from exc

    def make() -> Detector:
        try:
            detector = cv2.FaceDetectorYN.create(
                "onnx", weights, np.empty(0, dtype=np.uint8), (detect_width, detect_width), score_threshold
            )
        except cv2.error as exc:
            reason = str(exc).strip().splitlines()[-1]
            raise FaceMaskingError(f"the face model {model} is not a YuNet ONNX model: {reason}") from exc

        def detect(luma: NDArray[np.uint8]) -> list[Box]:
            small, factor = _downscaled(luma, detect_width)
            detector.setInputSize((small.shape[1], small.shape[0]))
            _, faces = detector.detect(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR))
            if faces is None:
                return []
            return [
                Box(int(f[0]), int(f[1]), max(1, int(f[2])), max(1, int(f[3]))).scaled(factor) for f in faces
            ]

        return detect

    make()
    return make


def _load_cascade(text: str, path: Path) -> cv2.CascadeClassifier:
    classifier = cv2.CascadeClassifier()
    try:
        storage = cv2.FileStorage(text, cv2.FILE_STORAGE_READ | cv2.FILE_STORAGE_MEMORY)
        loaded = classifier.read(storage.getFirstTopLevelNode())
    except (cv2.error, SystemError) as exc:  # FileStorage wraps its cv2.error in a SystemError
        reason = str(exc.__cause__ or exc).strip().splitlines()[-1]
        raise FaceMaskingError(f"the face cascade {path} is not an OpenCV cascade: {reason}") from exc
    if not loaded or classifier.empty():
        raise FaceMaskingError(f"the face cascade {path} is not an OpenCV cascade")
    return classifier


def _downscaled(luma: NDArray[np.uint8], width: int) -> tuple[NDArray[np.uint8], float]:
    """``luma`` scaled down to ``width`` pixels (never up), and the factor back to full size."""
    full_width = luma.shape[1]
    if full_width <= width:
        return luma, 1.0
    factor = full_width / width
    height = max(1, round(luma.shape[0] / factor))
    small = cv2.resize(luma, (width, height), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8), full_width / width
