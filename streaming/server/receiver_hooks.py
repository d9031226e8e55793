"""Decode-free receiving: take aiortc's depacketized frames as ``av.Packet`` before its decoder.

aiortc's ``RTCRtpReceiver`` always decodes: ``receive()`` starts a thread running the module-level
``aiortc.rtcrtpreceiver.decoder_worker(loop, input_q, output_q, decode_error)``, which gets
``(codec, JitterFrame)`` tuples (H.264 already depacketized to Annex-B, Opus as is) and puts decoded
frames on the track's queue. We wrap that function once: for the tracks we marked (by their
queue), the thread hands each encoded frame on as an ``av.Packet`` (``pts`` = the receiver's
zero-based RTP timestamp, ``time_base`` = 1/clock rate, ``is_keyframe`` set for IDR access units)
instead of decoding it; every other receiver in the process still decodes.

This relies on private aiortc internals (``decoder_worker``, ``RemoteStreamTrack._queue``,
``RTCRtpReceiver._send_rtcp_pli``) — aiortc is pinned to 1.16.x and
tests/streaming/test_receiver_hooks.py checks the hook end to end.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import weakref
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import aiortc.rtcrtpreceiver
import av
from aiortc import MediaStreamTrack, RTCRtpReceiver

from streaming.errors import AiortcInternalsError
from streaming.h264 import is_keyframe

_passthrough_queues: weakref.WeakSet[asyncio.Queue[Any]] = weakref.WeakSet()
_install_lock = threading.Lock()

Worker = Callable[
    [asyncio.AbstractEventLoop, "queue.Queue[Any]", "asyncio.Queue[Any]", threading.Event], None
]


def install_passthrough_hook() -> None:
    """Wrap ``aiortc.rtcrtpreceiver.decoder_worker`` once (idempotent).

    Raises AiortcInternalsError when the pinned internals are not there.
    """
    with _install_lock:
        current = getattr(aiortc.rtcrtpreceiver, "decoder_worker", None)
        if current is None:
            raise AiortcInternalsError("aiortc.rtcrtpreceiver.decoder_worker is gone: update receiver_hooks")
        if getattr(current, "_courtrec_hook", False):
            return
        setattr(aiortc.rtcrtpreceiver, "decoder_worker", _dispatching(current))  # noqa: B010


def receive_encoded(track: MediaStreamTrack) -> None:
    """Make the remote ``track`` yield ``av.Packet`` objects instead of decoded frames.

    Call it from the peer connection's ``track`` event, i.e. before the connection is up (the
    receiver starts its worker thread only once DTLS is connected). Raises AiortcInternalsError.
    """
    install_passthrough_hook()
    track_queue = getattr(track, "_queue", None)
    if not isinstance(track_queue, asyncio.Queue):
        raise AiortcInternalsError("remote tracks no longer carry an asyncio _queue: update receiver_hooks")
    _passthrough_queues.add(track_queue)


async def request_keyframe(receiver: RTCRtpReceiver) -> bool:
    """Send an RTCP PLI for every SSRC ``receiver`` heard lately; False when it heard none yet.

    Raises AiortcInternalsError when the pinned receiver has no ``_send_rtcp_pli``.
    """
    send_pli = getattr(receiver, "_send_rtcp_pli", None)
    if send_pli is None:
        raise AiortcInternalsError("RTCRtpReceiver._send_rtcp_pli is gone: update receiver_hooks")
    sources = receiver.getSynchronizationSources()
    for source in sources:
        await send_pli(source.source)
    return bool(sources)


def _dispatching(original: Worker) -> Worker:
    def decoder_worker(
        loop: asyncio.AbstractEventLoop,
        input_q: queue.Queue[Any],
        output_q: asyncio.Queue[Any],
        decode_error: threading.Event,
    ) -> None:
        if output_q in _passthrough_queues:
            _pass_through(loop, input_q, output_q)
        else:
            original(loop, input_q, output_q, decode_error)

    decoder_worker._courtrec_hook = True  # type: ignore[attr-defined]
    return decoder_worker


def _pass_through(
    loop: asyncio.AbstractEventLoop, input_q: queue.Queue[Any], output_q: asyncio.Queue[Any]
) -> None:
    """The worker thread's body for a marked track: wrap, never decode."""
    while True:
        task = input_q.get()
        if task is None:
            # the track ends when it reads None (as with aiortc's own worker)
            asyncio.run_coroutine_threadsafe(output_q.put(None), loop)
            return
        codec, encoded_frame = task
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = Fraction(1, codec.clockRate)
        if codec.mimeType.lower() == "video/h264":
            packet.is_keyframe = is_keyframe(encoded_frame.data)
        else:
            packet.is_keyframe = True  # audio frames are all independently decodable
        loop.call_soon_threadsafe(output_q.put_nowait, packet)
