"""Portal load: requests/s and latency of the public notice list and the review playlist endpoint,
each against a bare endpoint of the same app that returns a constant body of the same size.

Everything runs on loopback in this one run: a real SeaweedFS store holding a recording made by the
capture agent, the portal (SQLite, production code paths: session check, grant check, audit record
per playlist) served by uvicorn in its own process, and a small asyncio HTTP/1.1 keep-alive load
generator (bounded by request count and time). Goal: >= 0.5 of the bare throughput, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from fastapi import Response
from sqlalchemy import select

from archive.store import ObjectStore, StoreConfig
from archive.store.embedded import EmbeddedStore
from archive.store.embedded.weed_process import weed_ports
from portal.db import transaction
from portal.demo import seed_demo
from portal.hearings.notices import HearingDraft, publish_notice, schedule_hearing
from portal.identity.principal import Principal
from portal.identity.sessions import start_session
from portal.migrate import upgrade
from portal.models import Case, Courtroom, Grant, User
from portal.records.reconciler import reconcile_now
from portal.settings import PortalSettings
from portal.web.app import create_app

RECORDING = "bench-rec-1"
BARE_PATHS = {"notices": "/bench/bare-notices", "playlist": "/bench/bare-playlist"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _record(config: StoreConfig, spool: Path, seconds: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    env |= {
        "COURTREC_S3_ENDPOINT": config.endpoint,
        "COURTREC_S3_ACCESS_KEY": config.access_key,
        "COURTREC_S3_SECRET_KEY": config.secret_key,
        "COURTREC_S3_BUCKET": config.bucket,
        "COURTREC_COURT": "demo-court",
    }
    command = [
        sys.executable,
        "-m",
        "capture",
        "record",
        "--room",
        "demo-courtroom-1",
        "--case",
        "2026-demo-civ-0001",
        "--recording-id",
        RECORDING,
        "--spool",
        str(spool),
        "--duration",
        str(seconds),
        "--segment-seconds",
        "2",
        "--source",
        "synthetic#size=320x240&fps=15&audio=0",
    ]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=seconds + 120)


def _seed(database_url: str, config: StoreConfig, data: Path) -> dict[str, str]:
    """Migrate, seed demo data (with a granted recording) and 30 more notices; return a party session."""

    settings = _settings(database_url, data)
    app = create_app(settings, store=ObjectStore(config))
    context = app.state.portal
    upgrade(context.engine)
    reconcile_now(context, "bench")
    now = context.clock.now()
    with transaction(context.sessions) as db:
        seed_demo(db, now=now, recording_id=RECORDING)
        grant = db.scalars(select(Grant)).one()
        user = db.scalars(select(User).where(User.username == "clerk")).one()
        clerk = Principal(
            token_hash="",
            csrf_token="",
            role=user.role,
            display_name=user.display_name,
            user_id=user.id,
            court_id=user.court_id,
        )
        case = db.scalars(select(Case)).one()
        room = db.scalars(select(Courtroom)).one()
        for day in range(30):
            start = now + timedelta(days=4 + day, hours=3)  # after the demo's hearing: one room
            draft = HearingDraft(case.id, room.id, start, start + timedelta(hours=2), is_public=True)
            publish_notice(db, clerk, schedule_hearing(db, clerk, draft, now=now).id, now=now)
        token = start_session(db, now=now, ip="bench", party_id=grant.party_id)
    context.engine.dispose()
    return {"token": token, "grant": str(grant.id)}


def _settings(database_url: str, data: Path) -> PortalSettings:
    return PortalSettings(
        environment="development",
        data_dir=data,
        database_url=database_url,
        portal_cookie_secure=False,
        portal_secret_key="bench-secret-0123456789abcdefghij",
    )


def _serve(database_url: str, config: StoreConfig, data: Path, port: int, sizes: dict[str, int]) -> None:
    """The server process: the real app plus bare endpoints returning constant bodies of given sizes."""

    app = create_app(_settings(database_url, data), store=ObjectStore(config))
    bodies = {name: b"x" * size for name, size in sizes.items()}

    @app.get(BARE_PATHS["notices"], include_in_schema=False)
    async def bare_notices() -> Response:
        return Response(bodies["notices"], media_type="text/html; charset=utf-8")

    @app.get(BARE_PATHS["playlist"], include_in_schema=False)
    async def bare_playlist() -> Response:
        return Response(bodies["playlist"], media_type="application/vnd.apple.mpegurl")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _connection(
    port: int, request: bytes, deadline: float, latencies: list[float], statuses: dict[int, int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load(
    port: int, path: str, cookie: str | None, seconds: float, connections: int
) -> dict[str, float]:
    headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
    if cookie:
        headers += f"Cookie: session={cookie}\r\n"
    request = (headers + "\r\n").encode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + 0.5  # warm-up
    await asyncio.gather(*(_connection(port, request, deadline, [], {}) for _ in range(connections)))
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(port, request, deadline, latencies, statuses) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    if set(statuses) != {200}:
        raise RuntimeError(f"{path}: unexpected statuses {statuses}")
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "requests": float(len(latencies)),
    }


def _body_size(url: str, cookie: str | None) -> int:
    request = urllib.request.Request(url, headers={"Cookie": f"session={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return len(response.read())


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/notices", timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--recording-seconds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as scratch:
        root = Path(scratch)
        with EmbeddedStore(root / "store", port=_free_port_for_weed()) as store:
            config = store.config
            _record(config, root / "spool", args.recording_seconds)
            database_url = f"sqlite:///{root / 'portal.sqlite3'}"
            session = _seed(database_url, config, root)
            return _measure(args, database_url, config, root, session)


def _free_port_for_weed() -> int:
    """A base port whose whole weed port set (base .. +8, +10008) is free on loopback."""
    for _ in range(200):
        base = random.randrange(10000, 22000)
        if all(_is_free(port) for port in weed_ports(base).values()):
            return base
    raise RuntimeError("no free port set for the embedded store")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _measure(
    args: argparse.Namespace, database_url: str, config: StoreConfig, root: Path, session: dict[str, str]
) -> int:
    playlist = f"/review/grants/{session['grant']}/playlist.m3u8"
    port = _free_port()
    probe = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(database_url, config, root, port, {"notices": 1, "playlist": 1})
    )
    probe.start()
    _wait_until_up(port)
    sizes = {
        "notices": _body_size(f"http://127.0.0.1:{port}/notices", None),
        "playlist": _body_size(f"http://127.0.0.1:{port}{playlist}", session["token"]),
    }
    probe.terminate()
    probe.join()
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(database_url, config, root, port, sizes)
    )
    server.start()
    try:
        _wait_until_up(port)
        results = {
            "notices": asyncio.run(_load(port, "/notices", None, args.seconds, args.connections)),
            "bare_notices": asyncio.run(
                _load(port, BARE_PATHS["notices"], None, args.seconds, args.connections)
            ),
            "playlist": asyncio.run(_load(port, playlist, session["token"], args.seconds, args.connections)),
            "bare_playlist": asyncio.run(
                _load(port, BARE_PATHS["playlist"], None, args.seconds, args.connections)
            ),
        }
    finally:
        server.terminate()
        server.join()
    _report(results, sizes, args)
    return 0


def _report(results: dict[str, dict[str, float]], sizes: dict[str, int], args: argparse.Namespace) -> None:
    print(
        f"portal load, {args.connections} keep-alive connections, {args.seconds:.0f} s per endpoint,"
        f" loopback, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    for name in ("notices", "playlist"):
        real, bare = results[name], results[f"bare_{name}"]
        ratio = real["rps"] / bare["rps"]
        verdict = "OK" if ratio >= 0.5 and real["p99_ms"] < 50 else "BELOW GOAL"
        print(
            f"  {name:9s} ({sizes[name]:6d} B): {real['rps']:7.0f} req/s  p50 {real['p50_ms']:5.1f} ms"
            f"  p99 {real['p99_ms']:5.1f} ms | bare {bare['rps']:7.0f} req/s  p99 {bare['p99_ms']:5.1f} ms"
            f" | ratio {ratio:.2f}  [{verdict}]"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
