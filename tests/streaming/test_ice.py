"""ICE policy: explicit servers, loopback gathering through the aioice hook, remote candidate filter."""

from __future__ import annotations

import aioice
import aioice.ice
from aiortc import RTCPeerConnection

from streaming.ice import IcePolicy, install_host_address_hook
from streaming.settings import IceServerConfig

OFFER = "\r\n".join(
    [
        "v=0",
        "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
        "a=candidate:2 1 udp 2122260223 192.0.2.2 50001 typ host",
        "a=candidate:3 1 udp 2122260223 5e1f6d8a-0000-4000-8000-000000000000.local 50002 typ host",
        "a=end-of-candidates",
    ]
)


def test_aioice_is_the_pinned_version_with_the_hooked_function() -> None:
    assert aioice.__version__.startswith("0.13."), "re-check streaming/ice.py against the new aioice"
    install_host_address_hook()
    assert getattr(aioice.ice.get_host_addresses, "_courtrec_hook", False)


def test_no_ice_server_unless_configured() -> None:
    assert IcePolicy().configuration().iceServers == []
    turn = IceServerConfig(urls=["turn:turn.court.example:3478"], username="u", credential="p")
    servers = IcePolicy(servers=(turn,)).configuration().iceServers
    assert [s.urls for s in servers] == [["turn:turn.court.example:3478"]]


async def test_loopback_policy_gathers_on_127_0_0_1_only_and_leaves_others_alone() -> None:
    policy = IcePolicy.loopback()
    ours = RTCPeerConnection(policy.configuration())
    ours.addTransceiver("video", direction="recvonly")
    with policy.gathering():
        await ours.setLocalDescription(await ours.createOffer())
    candidates = [
        line.split()[4] for line in ours.localDescription.sdp.splitlines() if line.startswith("a=candidate")
    ]
    assert candidates and set(candidates) == {"127.0.0.1"}
    await ours.close()
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(
        use_ipv4=True, use_ipv6=False
    )  # outside the block


async def test_gather_loopback_adds_127_0_0_1_to_every_interface() -> None:
    """``make run``'s server: browsers on this machine and on the LAN both find a candidate."""
    interfaces = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    policy = IcePolicy(gather_loopback=True)
    ours = RTCPeerConnection(policy.configuration())
    ours.addTransceiver("video", direction="recvonly")
    with policy.gathering():
        await ours.setLocalDescription(await ours.createOffer())
    candidates = {
        line.split()[4] for line in ours.localDescription.sdp.splitlines() if line.startswith("a=candidate")
    }
    await ours.close()
    assert "127.0.0.1" in candidates and set(interfaces) <= candidates
    assert "127.0.0.1" not in interfaces  # aioice alone leaves loopback out


def test_remote_candidates_outside_the_allowed_networks_are_dropped() -> None:
    filtered = IcePolicy.loopback().filter_sdp(OFFER)
    assert "127.0.0.1 50000" in filtered
    assert "192.0.2.2" not in filtered and ".local" not in filtered
    assert IcePolicy().filter_sdp(OFFER) == OFFER  # no list: keep everything
