"""The agent loads streaming's publisher side only: no FastAPI, no live server, no OpenCV from streaming."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SERVER_SIDE = ("fastapi", "starlette", "uvicorn", "streaming.server", "streaming.public")


def _loaded_after(statement: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` a fresh interpreter has in sys.modules after running ``statement``."""
    report = f"print(json.dumps([n for n in {list(names)!r} if n in sys.modules]))"
    code = f"import json, sys\n{statement}\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("statement", ["import capture", "import capture.cli", "import capture.live"])
def test_the_agent_does_not_load_the_live_server(statement: str) -> None:
    assert _loaded_after(statement, SERVER_SIDE) == []


def test_streaming_itself_loads_neither_the_server_nor_opencv() -> None:
    # capture's overlay and devices use OpenCV themselves; streaming's agent side never needs it
    assert _loaded_after("import streaming, streaming.publisher", (*SERVER_SIDE, "cv2")) == []


def test_the_server_side_is_still_importable() -> None:
    assert _loaded_after("import streaming.server", ("fastapi", "streaming.server.service")) == [
        "fastapi",
        "streaming.server.service",
    ]


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
