"""A real photograph of a face for the masking tests, and measures of what masking did to it.

The picture is scikit-image's ``astronaut.png`` (Eileen Collins, NASA, public domain), which its
wheel ships (scikit-image is in the dev extra): nothing is fetched, and no face model is faked.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from streaming.public.face_boxes import Box

WIDTH, HEIGHT = 320, 240
# hand-marked in the 320x240 picture (the top 512x384 of the photograph, scaled down)
EYES = ((125, 65), (150, 65))
MOUTH = (140, 90)
FACE = Box(112, 48, 53, 55)  # forehead to chin, cheek to cheek
FAR = (slice(0, 50), slice(0, 50))  # the flag, top left: far from the face, full of detail


def astronaut_path() -> Path:
    """The photograph inside the installed scikit-image (never imported, only read)."""
    spec = find_spec("skimage")
    assert spec is not None and spec.submodule_search_locations, "scikit-image (dev extra) is not installed"
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    assert path.is_file(), f"{path} is missing from the scikit-image wheel"
    return path


def face_picture(width: int = WIDTH, height: int = HEIGHT) -> NDArray[np.uint8]:
    """The photograph as BGR, 4:3, scaled to ``width`` x ``height``."""
    photo = cv2.imread(str(astronaut_path()))
    assert photo is not None
    top = photo[: photo.shape[1] * 3 // 4]
    return np.asarray(cv2.resize(top, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def i420(bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``bgr`` as PyAV's yuv420p array (Y, then U, then V, packed in rows of the picture's width)."""
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)


def detail(luma: NDArray[np.uint8], box: Box) -> float:
    """High-frequency energy in ``box``: the variance of the Laplacian (what recognising a face needs)."""
    region = luma[box.y : box.bottom, box.x : box.right].astype(np.float64)
    return float(cv2.Laplacian(region, cv2.CV_64F).var())


class FacePicture:
    """A FrameSource for EncodedTestFeed: the photograph in every frame."""

    def __init__(self) -> None:
        self._planes = i420(face_picture())

    def render(self, index: int) -> av.VideoFrame:
        return av.VideoFrame.from_ndarray(self._planes, format="yuv420p")
