"""Bad input gets one clear message and a non-zero exit, and never touches what is already sealed."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from archive.preservation.verify import verify_recording
from archive.store.object_store import ObjectStore

from .conftest import SMALL_VIDEO, RunHere, run_module

pytestmark = pytest.mark.integration


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock" and "upload-queue" not in p.name
    }


@pytest.fixture(scope="module")
def recorded_spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spool holding one finished recording, made once per module without any object store
    (store-and-forward); tests read or change only their own copy of it."""
    spool = tmp_path_factory.mktemp("bad-input") / "spool"
    result = run_module(
        "capture",
        [
            "record",
            "--room",
            "court-1",
            "--recording-id",
            "rec-kept",
            "--spool",
            str(spool),
            "--duration",
            "4",
            "--segment-seconds",
            "2",
            "--source",
            SMALL_VIDEO,
        ],
        None,
    )
    assert result.returncode == 0, result.stderr
    assert list(spool.rglob("*.m4s"))
    return spool


@pytest.fixture
def sealed_spool(recorded_spool: Path, tmp_path: Path) -> Path:
    """The test's own copy of the module's finished recording (modes and times kept), as if the
    spool had been moved here: its upload queue names the files relative to the spool, so the copy
    uploads its own files (and the module's recording stays untouched)."""
    spool = tmp_path / "spool"
    shutil.copytree(recorded_spool, spool)
    return spool


def _arguments(spool: Path, source: str) -> list[str]:
    return ["record", "--room", "court-1", "--recording-id", "rec-new", "--spool", str(spool),
            "--duration", "3", "--source", source]  # fmt: skip


def _record(spool: Path, source: str) -> subprocess.CompletedProcess[str]:
    """``python -m capture record`` in a child process: the entry point's exit code and stderr."""
    return run_module("capture", _arguments(spool, source), None)


def test_bad_source_spec_names_the_accepted_forms(sealed_spool: Path) -> None:
    before = _tree_digest(sealed_spool)
    result = _record(sealed_spool, "webcam-zero")
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert "webcam-zero" in message and "synthetic" in message and "v4l2:" in message and "rtsp://" in message
    assert _tree_digest(sealed_spool) == before


def test_missing_device_is_named(sealed_spool: Path) -> None:
    before = _tree_digest(sealed_spool)
    result = _record(sealed_spool, "v4l2:/dev/video97")
    assert result.returncode == 2
    assert "/dev/video97" in result.stderr
    assert _tree_digest(sealed_spool) == before


def test_unwritable_spool_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the spool should go")
    result = _record(blocker / "spool", SMALL_VIDEO)
    assert result.returncode == 2
    assert "not writable" in result.stderr and str(blocker) in result.stderr


def test_wrong_credentials_refused_before_recording(
    sealed_spool: Path, object_store: ObjectStore, run_capture_here: RunHere
) -> None:
    # in this process (refused before the recorder starts): the message and the exit code are under
    # test, the entry point is proven by the tests above
    before = _tree_digest(sealed_spool)
    wrong = dataclasses.replace(object_store.config, secret_key="not-the-secret")
    result = run_capture_here(*_arguments(sealed_spool, SMALL_VIDEO), config=wrong)
    assert result.returncode == 2
    assert "COURTREC_S3_SECRET_KEY" in result.stderr
    assert _tree_digest(sealed_spool) == before
    assert not (sealed_spool / "recordings" / "rec-new").exists()


def test_spool_recorded_offline_uploads_later_and_verifies(
    sealed_spool: Path, object_store: ObjectStore
) -> None:
    result = run_module(
        "archive", ["upload", "--spool", str(sealed_spool), "--timeout", "60"], object_store.config
    )
    assert result.returncode == 0, result.stderr
    report = verify_recording(object_store, "rec-kept")
    assert report.intact, report.problems
    assert not list(sealed_spool.rglob("*.m4s"))  # deleted only after the store confirmed them


def test_local_corruption_before_upload_is_an_alarm_not_an_upload(
    sealed_spool: Path, object_store: ObjectStore
) -> None:
    segment = sorted(sealed_spool.rglob("*.m4s"))[0]
    data = bytearray(segment.read_bytes())
    data[100] ^= 0xFF
    segment.write_bytes(bytes(data))
    # the queue never empties (the journal chunk naming the corrupt segment waits for it), so the
    # upload runs until its timeout: long enough for the uploader to try every entry, no longer
    result = run_module(
        "archive", ["upload", "--spool", str(sealed_spool), "--timeout", "15"], object_store.config
    )
    assert result.returncode == 1, result.stderr  # not drained: the alarmed segment stays
    assert "INTEGRITY ALARM" in result.stderr and segment.name in result.stderr
    assert "corrupt=1" in result.stdout
    assert segment.exists()  # the evidence stays for a person to look at
    assert not any(o.key.endswith(segment.name) and "/cam" in o.key for o in object_store.list_objects(""))
