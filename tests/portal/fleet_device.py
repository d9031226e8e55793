"""A device of the fleet in portal tests: its own Ed25519 key, enrolled with a one-time code, and
requests signed the way the body camera signs them (``capture.bodycam.portal_link``'s client)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from archive.journal.signing.device_key import DeviceKey
from capture.bodycam.portal_link import AgentDeviceClient
from tests.portal.conftest import AGENT_TOKEN, Portal

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}


def new_key() -> DeviceKey:
    return DeviceKey(Ed25519PrivateKey.generate())


@dataclass
class SigningDevice:
    """``device_id`` holding ``key``; ``signer`` may be another key (to sign as an impostor)."""

    portal: Portal
    device_id: str
    key: DeviceKey = field(default_factory=new_key)
    signer: DeviceKey | None = None

    def enrol(self, code: str) -> Any:
        body = {"device_id": self.device_id, "public_key": self.key.public_key_b64, "code": code}
        return self.portal.client().post("/api/agent/devices/enrol", json=body, headers=AGENT)

    def signed(self, method: str, target: str, body: Any = None) -> tuple[bytes, dict[str, str]]:
        """The body bytes and headers of a signed request (the body as the device encodes it)."""
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        signer = self.signer or self.key
        client = AgentDeviceClient(
            "https://testserver",
            AGENT_TOKEN,
            self.device_id,
            signer.sign,
            wall_ms=lambda: int(self.portal.clock.now().timestamp() * 1000),
        )
        headers = {**AGENT, **client.signature_headers(method, target, data)}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return data, headers

    def send(self, data: bytes, headers: dict[str, str], method: str, target: str) -> Any:
        return self.portal.client().request(method, target, content=data, headers=headers)

    def call(self, method: str, target: str, body: Any = None) -> Any:
        data, headers = self.signed(method, target, body)
        return self.send(data, headers, method, target)

    def heartbeat(self, **changes: Any) -> Any:
        now = self.portal.clock.now()
        body = {
            "battery_percent": 80,
            "free_bytes": 50 * 1024**3,
            "backlog_segments": 3,
            "backlog_bytes": 3 * 1024**2,
            "agent_version": "1.0.0",
            "recording": "standby",
            "recording_id": None,
            "position": {"lat": 39.9, "lon": 116.4, "at": now.isoformat()},
            "device_time": now.isoformat(),
        } | changes
        return self.call("POST", f"/api/agent/devices/{self.device_id}/heartbeat", body)

    def commands(self, wait: float = 0) -> Any:
        return self.call("GET", f"/api/agent/devices/{self.device_id}/commands?wait={wait:g}")

    def ack(self, command_id: str, body: Any) -> Any:
        return self.call("POST", f"/api/agent/devices/{self.device_id}/commands/{command_id}/ack", body)
