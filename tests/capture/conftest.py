"""Helpers for recording tests: run the agent in a subprocess against a real S3 store, read spools."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest

from archive.cli import main as archive_main
from archive.store import ObjectStore, StoreConfig
from capture.cli import main as capture_main
from tests.conftest import _external_config, empty_and_delete_bucket

RunAgent = Callable[..., subprocess.CompletedProcess[str]]
SMALL_VIDEO = "synthetic#size=320x240&fps=15&audio=0"


def store_env(config: StoreConfig | None) -> dict[str, str]:
    """The environment a child process needs to use ``config`` (or no store at all)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    if config is not None:
        env |= {
            "COURTREC_S3_ENDPOINT": config.endpoint,
            "COURTREC_S3_ACCESS_KEY": config.access_key,
            "COURTREC_S3_SECRET_KEY": config.secret_key,
            "COURTREC_S3_BUCKET": config.bucket,
        }
    return env


def agent_command(*arguments: str) -> list[str]:
    """The command line of ``python -m capture`` with ``arguments``."""
    return [sys.executable, "-m", "capture", *arguments]


def run_module(
    module: str, arguments: Sequence[str], config: StoreConfig | None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module arguments`` to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        env=store_env(config),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def journal_events(spool: Path, recording_id: str) -> list[dict[str, object]]:
    """Every journal line of a recording in its spool, parsed, in order."""
    events: list[dict[str, object]] = []
    for chunk in sorted((spool / "recordings" / recording_id / "journal").glob("*.jsonl")):
        events.extend(json.loads(line) for line in chunk.read_text().splitlines())
    return events


@pytest.fixture
def run_agent(object_store: ObjectStore) -> RunAgent:
    """Run ``python -m capture ARGS`` against the test's bucket and wait for it."""

    def run(*arguments: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return run_module("capture", arguments, object_store.config, timeout)

    return run


@pytest.fixture(scope="module")
def module_object_store(request: pytest.FixtureRequest) -> Iterator[ObjectStore]:
    """Like ``object_store``, but one bucket for a whole module: for a recording made once and then
    only read (a test that changes it copies it into its own ``object_store`` first)."""
    external = _external_config()
    config = external if external is not None else request.getfixturevalue("embedded_store").config
    store = ObjectStore(dataclasses.replace(config, bucket=f"test-{uuid.uuid4().hex[:16]}"))
    store.ensure_bucket()
    yield store
    empty_and_delete_bucket(store)


def copy_bucket(source: ObjectStore, target: ObjectStore) -> None:
    """Put every object of ``source``'s bucket into ``target``'s, byte for byte (the store's own
    probe object aside)."""
    for stored in source.list_objects(""):
        if not stored.key.startswith("_courtrec/"):
            data = source.read_bytes(stored.key)
            target.put_bytes(stored.key, data, hashlib.sha256(data).hexdigest())


class InProcess(NamedTuple):
    """What a command's ``main`` returned (or exited with) and wrote to stdout and stderr."""

    returncode: int
    stderr: str
    stdout: str = ""


RunHere = Callable[..., InProcess]


@pytest.fixture
def run_capture_here(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunHere:
    """``run_capture_here(*ARGS, config=None, env=None)``: ``python -m capture ARGS`` run by
    ``capture.cli.main`` in this process, with the environment a child would get (and ``env``). Only
    for commands refused before they start anything: there the message and the exit code are under
    test, not the process, and a child would cost seconds of imports. ``main`` runs in a worker
    thread, where a command that gets as far as installing its signal handlers fails (Python allows
    them only in the main thread) instead of running on in the test; it must be done within 60 s."""
    return _in_process(capture_main, monkeypatch, capsys)


@pytest.fixture
def run_archive_here(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunHere:
    """``python -m archive ARGS`` run by ``archive.cli.main`` in this process, like
    ``run_capture_here``: for ``archive verify``, whose report and exit code are under test."""
    return _in_process(archive_main, monkeypatch, capsys)


def _in_process(
    main: Callable[[list[str]], int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> RunHere:
    def run(
        *arguments: str, config: StoreConfig | None = None, env: dict[str, str] | None = None
    ) -> InProcess:
        for name in list(os.environ):
            if name.startswith("COURTREC_"):
                monkeypatch.delenv(name)
        for name, value in (store_env(config) | (env or {})).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        outcome: list[int | BaseException] = []
        worker = threading.Thread(target=_run_main, args=(main, list(arguments), outcome), daemon=True)
        worker.start()
        worker.join(60)
        assert outcome, f"{' '.join(arguments)} did not finish within 60 s"
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        captured = capsys.readouterr()
        return InProcess(outcome[0], captured.err, captured.out)

    return run


def _run_main(
    main: Callable[[list[str]], int], arguments: list[str], outcome: list[int | BaseException]
) -> None:
    try:
        outcome.append(main(arguments))
    except SystemExit as exc:  # argparse refuses an argument by exiting
        outcome.append(exc.code if isinstance(exc.code, int) else 1)
    except BaseException as exc:  # handed to the test's thread
        outcome.append(exc)
