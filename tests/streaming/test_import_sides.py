"""The agent loads streaming's publisher side only: no FastAPI, no live server, no OpenCV from streaming.

The agent-side imports run one after another in one fresh interpreter, each checked on what is then in
``sys.modules``: an import only adds modules, so what is loaded after the k-th statement includes all
that statement loads on its own (a check there is at least as strict as one in an interpreter of its
own), and a fresh interpreter costs seconds on a loaded machine."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.import_probe import modules_loaded_after

SERVER_SIDE = ("fastapi", "starlette", "uvicorn", "streaming.server", "streaming.public")
# first, while nothing else is loaded: capture's overlay and devices use OpenCV themselves, streaming's
# agent side never needs it
STREAMING_ITSELF = "import streaming, streaming.publisher"
AGENT_STATEMENTS = ("import capture", "import capture.cli", "import capture.live")


@pytest.fixture(scope="module")
def agent_side_imports() -> dict[str, list[str]]:
    steps = [(STREAMING_ITSELF, (*SERVER_SIDE, "cv2"))]
    steps += [(statement, SERVER_SIDE) for statement in AGENT_STATEMENTS]
    return modules_loaded_after(steps)


@pytest.mark.parametrize("statement", AGENT_STATEMENTS)
def test_the_agent_does_not_load_the_live_server(
    statement: str, agent_side_imports: dict[str, list[str]]
) -> None:
    assert agent_side_imports[statement] == []


def test_streaming_itself_loads_neither_the_server_nor_opencv(
    agent_side_imports: dict[str, list[str]],
) -> None:
    assert agent_side_imports[STREAMING_ITSELF] == []


def test_the_server_side_is_still_importable() -> None:
    loaded = modules_loaded_after([("import streaming.server", ("fastapi", "streaming.server.service"))])
    assert loaded["import streaming.server"] == ["fastapi", "streaming.server.service"]


_FIRST_IMPORT = """
import importlib, json, sys, traceback
failed = {}
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "streaming" or m.startswith("streaming.")]:
        del sys.modules[loaded]  # ours only: av, numpy, aiortc stay loaded, so each try is quick
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=-3)
print(json.dumps(failed))
"""


def test_every_public_and_server_module_can_be_imported_first() -> None:
    # an import cycle between streaming.public and streaming.server fails only for some first imports
    root = Path(__file__).resolve().parents[2]
    names = [
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for side in ("streaming/public", "streaming/server")
        for path in sorted((root / side).glob("*.py"))
    ]
    assert "streaming.public.packager" in names and len(names) > 20
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_IMPORT, *names], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}
