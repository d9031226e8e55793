"""A capture agent's start-up loads only the archive capabilities it uses: no bag export, no audits,
backup or replication. Every agent start (and every restart after a crash, when recording is lost until
it runs again) pays for what it imports.

The agent's imports run one after another in one fresh interpreter, each checked on what is then in
``sys.modules`` (as in tests/streaming/test_import_sides.py): no timing assertion, only which modules load.
"""

import importlib
import json
import subprocess
import sys

import pytest

# what only archive's own commands and the portal need; the agent reads journals and summarises them
# (archive.export.summary, .playlist, archive.preservation.verify) but never exports or audits
NOT_FOR_THE_AGENT = (
    "archive.export.bag",
    "archive.export.mp4_join",
    "archive.preservation.audit_report",
    "archive.preservation.backup",
    "archive.preservation.fixity_audit",
    "archive.preservation.replication",
    "archive.preservation.restore",
    "archive.retention.disposal",
    "archive.retention.keeper",
)
AGENT_STATEMENTS = ("import capture.recording.recorder", "import capture.cli")
LAZY_PACKAGES = ("archive.export", "archive.preservation", "archive.retention")


@pytest.fixture(scope="module")
def loaded_after_each() -> dict[str, list[str]]:
    lines = ["import json, sys", "loaded = {}"]
    for statement in AGENT_STATEMENTS:
        lines += [
            statement,
            f"loaded[{statement!r}] = [n for n in {list(NOT_FOR_THE_AGENT)!r} if n in sys.modules]",
        ]
    lines.append("print(json.dumps(loaded))")
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("statement", AGENT_STATEMENTS)
def test_the_agent_does_not_load_export_audits_or_backup(
    statement: str, loaded_after_each: dict[str, list[str]]
) -> None:
    assert loaded_after_each[statement] == []


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_lazily_reexported_name_resolves_to_its_definition(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        defined_in = getattr(value, "__module__", "")
        if isinstance(value, type) or callable(value):  # type aliases and constants carry no home
            assert defined_in.startswith(f"{package}."), f"{package}.{name} from {defined_in}"
        assert vars(module)[name] is value  # kept: the second use costs nothing
        assert name in dir(module)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_a_name_the_package_does_not_export_is_an_attribute_error(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package} import no_such_name")
