"""A GStreamer webrtcbin peer for the interoperability tests: a WHIP publisher or a WHEP viewer.

Run with Debian's Python and PyGObject (``/usr/bin/python3``), not the project's venv; it imports
nothing of the project. webrtcbin makes its own RSA certificate, as vendors' GStreamer-based
encoders and players do. It does the WHIP/WHEP HTTP exchange itself (the whip/whep elements are in
gst-plugins-rs, which Debian does not ship):

    gst_peer.py publish URL TOKEN SECONDS   H.264 (x264enc) + Opus test signals for SECONDS once connected
                                            (or until SIGTERM)
    gst_peer.py view URL TOKEN SECONDS      decode what arrives for SECONDS once connected (or until
                                            30 video frames and 1 s of audio arrived)
    gst_peer.py check                       print the elements this machine lacks (exit 1 if any)

It prints one JSON line when done: the connection states it went through, the decoded video frames
(and their sizes) and audio samples, and the error and warning messages GStreamer posted (DTLS
failures such as "no shared cipher" among them). Exit status 0 when the peer connected, 1 otherwise.
"""

from __future__ import annotations

import json
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

VIDEO_CAPS = "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000"
AUDIO_CAPS = (
    "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,encoding-params=(string)2"
)
PUBLISH = f"""
webrtcbin name=peer bundle-policy=max-bundle
videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! videoconvert
  ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bframes=0
  ! video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 aggregate-mode=zero-latency
  ! {VIDEO_CAPS} ! peer.
audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! opusenc ! rtpopuspay
  ! {AUDIO_CAPS} ! peer.
"""
NEEDED = (
    "webrtcbin",  # gstreamer1.0-plugins-bad
    "nicesrc",  # gstreamer1.0-nice
    "dtlsdec",  # gstreamer1.0-plugins-bad
    "srtpdec",  # gstreamer1.0-plugins-bad
    "videotestsrc",  # gstreamer1.0-plugins-base
    "audiotestsrc",
    "opusenc",
    "x264enc",  # gstreamer1.0-plugins-ugly
    "rtph264pay",  # gstreamer1.0-plugins-good
    "rtpopuspay",
    "decodebin",
    "avdec_h264",  # gstreamer1.0-libav
    "opusdec",
)
ENOUGH_VIDEO_FRAMES = 30
ENOUGH_AUDIO_SAMPLES = 48_000


class Peer:
    def __init__(self, mode: str, url: str, token: str, seconds: float) -> None:
        self.mode, self.url, self.token, self.seconds = mode, url, token, seconds
        self.loop = GLib.MainLoop()
        if mode == "publish":
            self.pipeline = Gst.parse_launch(PUBLISH)
            self.webrtc = self.pipeline.get_by_name("peer")
        else:
            self.pipeline = Gst.Pipeline.new("viewer")
            self.webrtc = Gst.ElementFactory.make("webrtcbin", "peer")
            self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
            self.pipeline.add(self.webrtc)
        self.states: list[str] = []
        self.messages: list[str] = []
        self.video_frames = 0
        self.sizes: set[tuple[int, int]] = set()
        self.audio_samples = 0
        self.location: str | None = None
        self.failure: str | None = None
        self.offer_sent = False
        if mode == "view":
            for caps in (VIDEO_CAPS + ",packetization-mode=(string)1", AUDIO_CAPS):
                self.webrtc.emit(
                    "add-transceiver",
                    GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                    Gst.Caps.from_string(caps),
                )
            self.webrtc.connect("pad-added", self.on_pad_added)
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.webrtc.connect("notify::connection-state", self.on_connection_state)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    # --- negotiation: one offer, sent when ICE gathering is complete (WHIP/WHEP carry no trickle here)
    def on_negotiation_needed(self, webrtc: Gst.Element) -> None:
        if self.mode == "publish":
            for transceiver in self.transceivers():
                transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(self.on_offer, None))

    def on_offer(self, promise: Gst.Promise, _data: object) -> None:
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply is not None and reply.has_field("offer") else None
        if offer is None:
            self.fail(f"webrtcbin made no offer: {reply.to_string() if reply is not None else 'no reply'}")
            return
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering(self, webrtc: Gst.Element, _spec: object) -> None:
        state = webrtc.get_property("ice-gathering-state")
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE and not self.offer_sent:
            self.offer_sent = True
            GLib.idle_add(self.send_offer)

    def send_offer(self) -> bool:
        offer = self.webrtc.get_property("local-description").sdp.as_text()
        request = urllib.request.Request(
            self.url,
            data=offer.encode(),
            method="POST",
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = response.read().decode()
                self.location = response.headers.get("Location")
        except (urllib.error.URLError, OSError) as exc:
            self.fail(f"{self.mode.upper()} POST failed: {exc}")
            return False
        result, message = GstSdp.SDPMessage.new_from_text(answer)
        if result != GstSdp.SDPResult.OK:
            self.fail(f"unparseable answer: {answer!r}")
            return False
        description = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        self.webrtc.emit("set-remote-description", description, Gst.Promise.new())
        return False

    # --- what happened
    def on_connection_state(self, webrtc: Gst.Element, _spec: object) -> None:
        state = webrtc.get_property("connection-state").value_nick
        self.states.append(state)
        if state == "connected":
            GLib.timeout_add(int(self.seconds * 1000), self.loop.quit)
        elif state == "failed":
            self.fail("connection failed")

    def on_message(self, _bus: Gst.Bus, message: Gst.Message) -> None:
        if message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            self.messages.append(f"error from {message.src.get_name()}: {error.message} ({debug})")
            self.fail(error.message)
        elif message.type == Gst.MessageType.WARNING:
            warning, debug = message.parse_warning()
            self.messages.append(f"warning from {message.src.get_name()}: {warning.message} ({debug})")

    def fail(self, why: str) -> None:
        self.failure = self.failure or why
        self.loop.quit()

    # --- the viewer decodes what arrives and counts it
    def on_pad_added(self, _webrtc: Gst.Element, pad: Gst.Pad) -> None:
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        decodebin = Gst.ElementFactory.make("decodebin")
        decodebin.connect("pad-added", self.on_decoded_pad)
        self.pipeline.add(decodebin)
        decodebin.sync_state_with_parent()
        pad.link(decodebin.get_static_pad("sink"))

    def on_decoded_pad(self, _decodebin: Gst.Element, pad: Gst.Pad) -> None:
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_decoded_buffer)

    def on_decoded_buffer(self, pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        structure = pad.get_current_caps().get_structure(0)
        if structure.get_name().startswith("video/"):
            self.video_frames += 1
            self.sizes.add((structure.get_value("width"), structure.get_value("height")))
        elif structure.get_name().startswith("audio/"):
            rate = structure.get_value("rate")
            duration = info.get_buffer().duration
            if duration != Gst.CLOCK_TIME_NONE:
                self.audio_samples += round(duration * rate / Gst.SECOND)
        if self.video_frames >= ENOUGH_VIDEO_FRAMES and self.audio_samples >= ENOUGH_AUDIO_SAMPLES:
            GLib.idle_add(self.loop.quit)
        return Gst.PadProbeReturn.OK

    def transceivers(self) -> list[GstWebRTC.WebRTCRTPTransceiver]:
        found = []
        index = 0
        while (transceiver := self.webrtc.emit("get-transceiver", index)) is not None:
            found.append(transceiver)
            index += 1
        return found

    def run(self) -> dict[str, object]:
        GLib.timeout_add(int((self.seconds + 15) * 1000), self.on_deadline)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, self.on_terminate)
        self.pipeline.set_state(Gst.State.PLAYING)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        if self.location:
            self.delete_session()
        return {
            "states": self.states,
            "connected": "connected" in self.states,
            "video_frames": self.video_frames,
            "sizes": sorted(self.sizes),
            "audio_samples": self.audio_samples,
            "failure": self.failure,
            "messages": self.messages,
        }

    def on_terminate(self) -> bool:
        self.loop.quit()  # asked to stop early: report what happened so far
        return False

    def on_deadline(self) -> bool:
        self.fail("no connection before the deadline")
        return False

    def delete_session(self) -> None:
        assert self.location is not None
        url = urllib.parse.urljoin(self.url, self.location)
        request = urllib.request.Request(
            url, method="DELETE", headers={"Authorization": f"Bearer {self.token}"}
        )
        try:
            urllib.request.urlopen(request, timeout=5).close()
        except (urllib.error.URLError, OSError) as exc:
            self.messages.append(f"DELETE {url} failed: {exc}")


def missing_elements() -> list[str]:
    """The GStreamer elements these peers need that this machine lacks."""
    return [name for name in NEEDED if Gst.ElementFactory.find(name) is None]


def main(argv: list[str]) -> int:
    Gst.init(None)
    if argv[1:] == ["check"]:
        missing = missing_elements()
        print(json.dumps({"missing": missing}), flush=True)
        return 1 if missing else 0
    mode, url, token, seconds = argv[1], argv[2], argv[3], float(argv[4])
    if mode not in ("publish", "view"):
        raise SystemExit(f"mode must be publish or view, not {mode!r}")
    report = Peer(mode, url, token, seconds).run()
    print(json.dumps(report), flush=True)
    return 0 if report["connected"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
