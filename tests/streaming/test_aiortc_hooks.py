"""The private aiortc internals we depend on are still there (aiortc is pinned to 1.16.x)."""

from __future__ import annotations

import inspect

import aiortc
import aiortc.rtcrtpreceiver
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsTransport

from streaming.dtls import AIORTC_CIPHERS, accept_rsa_dtls_servers
from streaming.packet_track import PacketTrack
from streaming.sender_feedback import SenderFeedback, observe_sender
from streaming.server.receiver_hooks import install_passthrough_hook


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__.startswith("1.16."), "re-check receiver_hooks/sender_feedback/dtls on upgrade"


def test_the_receiver_still_starts_decoder_worker_by_its_module_global_name() -> None:
    source = inspect.getsource(RTCRtpReceiver.receive)
    assert "target=decoder_worker" in source
    assert list(inspect.signature(aiortc.rtcrtpreceiver.decoder_worker).parameters) == [
        "loop",
        "input_q",
        "output_q",
        "decode_error",
    ]
    assert hasattr(RTCRtpReceiver, "_send_rtcp_pli")
    install_passthrough_hook()
    assert getattr(aiortc.rtcrtpreceiver.decoder_worker, "_courtrec_hook", False)


def test_senders_pack_packets_and_route_rtcp_through_the_instance_method() -> None:
    assert "self.__encoder.pack(data)" in inspect.getsource(RTCRtpSender._next_encoded_frame)
    dtls_source = inspect.getsource(aiortc.rtcdtlstransport.RTCDtlsTransport)
    assert "recipient._handle_rtcp_packet(packet)" in dtls_source


async def test_observe_sender_wraps_the_instance_only() -> None:
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver(PacketTrack("video"), direction="sendonly")
    observe_sender(transceiver.sender, SenderFeedback(keyframe_requested=lambda: None))
    assert "_handle_rtcp_packet" in vars(transceiver.sender)
    await pc.close()


def test_certificates_build_the_dtls_context_with_the_ecdsa_suites_we_extend() -> None:
    accept_rsa_dtls_servers()
    source = inspect.getsource(RTCCertificate._create_ssl_context.__wrapped__)
    assert ":".join(AIORTC_CIPHERS) in source, "aiortc changed its cipher list: re-check streaming/dtls.py"
    assert "self.__local_certificate._create_ssl_context(" in inspect.getsource(RTCDtlsTransport)


def test_our_answers_make_aiortc_the_dtls_client() -> None:
    # streaming/dtls.py widens the *client's* suites: that is aiortc's role in every answer it makes
    source = inspect.getsource(RTCPeerConnection.createAnswer)
    assert 'media.dtls.role = "client"' in source
