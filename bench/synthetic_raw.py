"""Write the synthetic source's pictures as raw yuv420p to stdout, paced in real time.

Used by bench/capture_cpu.py so that the ffmpeg CLI baseline encodes exactly the pictures our agent
encodes (x264's cost depends on the content), with the picture generation paid on both sides.
"""

from __future__ import annotations

import argparse
import sys

import av

from devices import open_source, parse_source_spec


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    source = open_source(parse_source_spec(f"synthetic#size={args.size}&fps={args.fps}&audio=0"))
    out = sys.stdout.buffer
    frames = args.seconds * args.fps
    for index, frame in enumerate(source.frames()):
        if index >= frames:
            break
        if isinstance(frame, av.VideoFrame):
            for plane in frame.planes:
                out.write(memoryview(plane))
    out.flush()
    source.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
