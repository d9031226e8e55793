"""The body camera's link to the portal: commands by long poll, acknowledgements, heartbeats.

Devices sit behind NAT and accept no inbound connection, so the agent asks: ``GET
/api/agent/devices/{id}/commands?wait=25`` blocks until the command centre has something for it.
Each command is acknowledged (``POST …/commands/{cid}/ack``) with the agent's outcome. A heartbeat
(``POST …/heartbeat``) reports battery, storage, backlog and state. The portal being away never
stops a recording: every call failing is logged and retried with back-off.

Each call is signed with the device's enrolled key (:mod:`archive.formats.device_request`): the
shared agent token admits an agent, the signature says which device speaks. ``enrol`` sends the
device's public key once with the one-time code an administrator issued.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from archive.formats.device_request import RequestSignature, new_nonce, request_message
from archive.journal import ActivationTrigger
from capture.bodycam.activation import Action, ActivationInbox, ActivationRequest, Outcome
from capture.errors import CaptureError

logger = logging.getLogger(__name__)

COMMAND_WAIT_SECONDS = 25
_MIN_BACKOFF_SECONDS = 1.0
_MAX_BACKOFF_SECONDS = 60.0


class PortalLinkError(CaptureError):
    """A call to the portal failed (unreachable, refused, or a bad answer)."""


@dataclass(frozen=True, slots=True)
class RemoteCommand:
    """One command from the command centre, as the portal lists it."""

    id: str
    action: Action
    requested_by: str
    requested_at: str

    @classmethod
    def parse(cls, item: object) -> RemoteCommand:
        """Raises PortalLinkError naming what was wrong with ``item``."""
        if not isinstance(item, dict):
            raise PortalLinkError(f"a command must be a JSON object (got {item!r:.80})")
        try:
            command_id, action = item["id"], item["action"]
            by, at = item.get("requested_by", ""), item.get("requested_at", "")
        except KeyError as exc:
            raise PortalLinkError(f"a command lacks {exc}") from exc
        if (
            not isinstance(command_id, str)
            or not command_id
            or not isinstance(by, str)
            or not isinstance(at, str)
        ):
            raise PortalLinkError(f"a command has a bad id, requested_by or requested_at ({item!r:.120})")
        try:
            return cls(id=command_id, action=Action(action), requested_by=by, requested_at=at)
        except ValueError as exc:
            accepted = ", ".join(a.value for a in Action)
            raise PortalLinkError(
                f"command {command_id}: action must be one of {accepted} (got {action!r})"
            ) from exc


Signer = Callable[[bytes], str]
"""Signs bytes with the device's key (``DeviceKey.sign``): base64 Ed25519."""


class AgentDeviceClient:
    """The agent API for ``device_id``: bearer token ``token``, each call signed by ``sign``."""

    def __init__(
        self,
        portal_url: str,
        token: str,
        device_id: str,
        sign: Signer,
        *,
        timeout: float = 10.0,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        if not portal_url.startswith(("http://", "https://")):
            raise CaptureError(f"the portal URL must start with http:// or https:// (got {portal_url!r})")
        self._origin = portal_url.rstrip("/")
        self._api = f"/api/agent/devices/{urllib.parse.quote(device_id, safe='')}"
        self._device_id = device_id
        self._token = token
        self._sign = sign
        self._timeout = timeout
        self._wall_ms = wall_ms

    def enrol(self, public_key: str, code: str) -> None:
        """Enrol this device's ``public_key`` with the one-time ``code`` (PortalLinkError if refused)."""
        body = {"device_id": self._device_id, "public_key": public_key, "code": code}
        self._call("POST", "/api/agent/devices/enrol", body, signed=False)

    def commands(self, wait: int = COMMAND_WAIT_SECONDS) -> list[RemoteCommand]:
        """Commands waiting for this device (blocks up to ``wait`` seconds on the portal's side)."""
        body = self._call("GET", f"{self._api}/commands?wait={wait}", None, timeout=wait + self._timeout)
        try:
            items = json.loads(body)["commands"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PortalLinkError(f'the command list is not {{"commands": [...]}} ({exc})') from exc
        if not isinstance(items, list):
            raise PortalLinkError("'commands' must be a list")
        return [RemoteCommand.parse(item) for item in items]

    def ack(self, command_id: str, outcome: Outcome) -> None:
        body = {"result": "done" if outcome.done else "refused", "detail": outcome.detail}
        self._call("POST", f"{self._api}/commands/{urllib.parse.quote(command_id, safe='')}/ack", body)

    def heartbeat(self, report: Mapping[str, object]) -> str | None:
        """Send ``report``; returns the portal's ``server_time`` (None when it gave none)."""
        answer = self._call("POST", f"{self._api}/heartbeat", report)
        try:
            server_time = json.loads(answer).get("server_time")
        except (ValueError, AttributeError):
            return None
        return server_time if isinstance(server_time, str) else None

    def signature_headers(self, method: str, target: str, data: bytes) -> dict[str, str]:
        """The signature headers of a request to ``target`` (the API path and query) with ``data``."""
        path, _, query = target.partition("?")
        timestamp, nonce = self._wall_ms(), new_nonce()
        message = request_message(
            method=method,
            path=path,
            query=query,
            body=data,
            device_id=self._device_id,
            timestamp_ms=timestamp,
            nonce=nonce,
        )
        return RequestSignature(self._device_id, timestamp, nonce, self._sign(message)).headers()

    def _call(
        self,
        method: str,
        target: str,
        body: Mapping[str, object] | None,
        *,
        timeout: float | None = None,
        signed: bool = True,
    ) -> bytes:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        data = b""
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if signed:
            headers.update(self.signature_headers(method, target, data))
        request = urllib.request.Request(  # noqa: S310
            self._origin + target, data=data if body is not None else None, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout or self._timeout) as response:  # noqa: S310
                answer: bytes = response.read()
                return answer
        except urllib.error.HTTPError as exc:
            raise PortalLinkError(f"{method} {target}: HTTP {exc.code} {exc.reason}{_hint(exc)}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise PortalLinkError(
                f"{method} {target}: portal unreachable ({getattr(exc, 'reason', exc)})"
            ) from exc


def _hint(error: urllib.error.HTTPError) -> str:
    """What the portal said about a refusal (its ``detail``), or what to check."""
    if error.code == 401:
        return " (check COURTREC_PORTAL_AGENT_TOKEN)"
    if error.code != 403:
        return ""
    try:
        detail = json.loads(error.read()).get("detail")
    except (ValueError, AttributeError, OSError):
        detail = None
    return f": {detail}" if isinstance(detail, str) else " (is the device enrolled? --enrol-code)"


class Backoff:
    """Doubling delays from 1 s to 60 s; reset after a success."""

    def __init__(self) -> None:
        self._delay = _MIN_BACKOFF_SECONDS

    def failed(self) -> float:
        delay, self._delay = self._delay, min(_MAX_BACKOFF_SECONDS, self._delay * 2)
        return delay

    def succeeded(self) -> None:
        self._delay = _MIN_BACKOFF_SECONDS


class PortalLink:
    """Two daemon threads: the command long poll (feeding ``inbox``) and the heartbeat every
    ``heartbeat_seconds`` (with what ``report()`` returns)."""

    def __init__(
        self,
        client: AgentDeviceClient,
        inbox: ActivationInbox,
        report: Callable[[], dict[str, object]],
        *,
        heartbeat_seconds: float = 30.0,
        command_wait: int = COMMAND_WAIT_SECONDS,
    ) -> None:
        self._client = client
        self._inbox = inbox
        self._report = report
        self._heartbeat_seconds = heartbeat_seconds
        self._command_wait = command_wait
        self._stop = threading.Event()
        self._beat_now = threading.Event()
        self._threads = [
            threading.Thread(target=self._poll, name="portal-commands", daemon=True),
            threading.Thread(target=self._beat, name="portal-heartbeat", daemon=True),
        ]
        self.server_time: str | None = None

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop both loops (a long poll in flight is abandoned with its daemon thread)."""
        self._stop.set()
        self._beat_now.set()
        if self._threads[1].is_alive():
            self._threads[1].join(timeout=15)

    def beat_soon(self) -> None:
        """Send a heartbeat now (the state changed)."""
        self._beat_now.set()

    def _poll(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                commands = self._client.commands(self._command_wait)
            except PortalLinkError as exc:
                delay = backoff.failed()
                logger.warning("portal commands: %s; retrying in %.0f s", exc, delay)
                self._stop.wait(delay)
                continue
            backoff.succeeded()
            for command in commands:
                self._obey(command)

    def _obey(self, command: RemoteCommand) -> None:
        logger.info("remote command %s: %s by %s", command.id, command.action, command.requested_by)
        done = threading.Event()
        outcome: list[Outcome] = []

        def reply(result: Outcome) -> None:
            outcome.append(result)
            done.set()

        by = command.requested_by or None
        self._inbox.put(ActivationRequest(command.action, ActivationTrigger.REMOTE, by=by, reply=reply))
        done.wait()
        backoff = Backoff()
        while not self._stop.is_set():  # the ack matters: the operator waits for it
            try:
                self._client.ack(command.id, outcome[0])
                return
            except PortalLinkError as exc:
                delay = backoff.failed()
                logger.warning("ack of command %s: %s; retrying in %.0f s", command.id, exc, delay)
                self._stop.wait(delay)

    def _beat(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                self.server_time = self._client.heartbeat(self._report())
                backoff.succeeded()
                wait = self._heartbeat_seconds
            except PortalLinkError as exc:
                wait = min(self._heartbeat_seconds, backoff.failed())
                logger.warning("portal heartbeat: %s; retrying in %.0f s", exc, wait)
            self._beat_now.wait(wait)
            self._beat_now.clear()
