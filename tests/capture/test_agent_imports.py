"""A capture agent's start-up loads only the archive capabilities it uses: no bag export, no audits,
backup or replication; and the command line, ``capture record``'s own modules and the archive's
command line load no heavy library they do not use (minio only when a store is opened, aiortc and httpx
only when publishing live, PyAV, NumPy and OpenCV only when recording). Every agent start (and every
restart after a crash, when recording is lost until it runs again) pays for what it imports: about
1.5 CPU-s more per start before these were made lazy.

The agent's imports run one after another in one fresh interpreter, each checked on what is then in
``sys.modules`` (as in tests/streaming/test_import_sides.py): no timing assertion, only which modules load.
"""

import importlib

import pytest

from tests.import_probe import modules_loaded_after

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
HEAVY = ("aiortc", "av", "cv2", "fastapi", "httpx", "minio", "numpy")
# what needs none of HEAVY: the command lines (parsing, --help, refusing a bad setting) and the packages'
# own names; run first, in this order, while nothing heavy is loaded
LIGHT_STATEMENTS = (
    "import devices",
    "import streaming",
    "import capture",
    "import capture.settings",
    "import capture.cli",
)
# the archive's own commands may load what the agent must not (export, audits): an interpreter of its own
ARCHIVE_COMMAND_LINE = "import archive.cli"
# recording needs PyAV, NumPy and OpenCV, but a store and a live server only when configured
NOT_FOR_RECORDING = ("aiortc", "fastapi", "httpx", "minio")
RECORDING_STATEMENTS = ("import capture.recording.recorder", "import capture.record_command")
LAZY_PACKAGES = (
    "archive.export",
    "archive.preservation",
    "archive.retention",
    "archive.spool",
    "archive.store",
    "archive.store.embedded",
    "capture",
    "capture.bodycam",
    "devices",
    "streaming",
)


@pytest.fixture(scope="module")
def loaded_after_each() -> dict[str, list[str]]:
    # each statement once (the results are keyed by it); AGENT_STATEMENTS are among these
    steps = [(statement, (*HEAVY, *NOT_FOR_THE_AGENT)) for statement in LIGHT_STATEMENTS]
    steps += [(statement, (*NOT_FOR_RECORDING, *NOT_FOR_THE_AGENT)) for statement in RECORDING_STATEMENTS]
    assert set(AGENT_STATEMENTS) <= {statement for statement, _ in steps}
    assert len({statement for statement, _ in steps}) == len(steps)
    return modules_loaded_after(steps) | modules_loaded_after([(ARCHIVE_COMMAND_LINE, HEAVY)])


@pytest.mark.parametrize("statement", AGENT_STATEMENTS)
def test_the_agent_does_not_load_export_audits_or_backup(
    statement: str, loaded_after_each: dict[str, list[str]]
) -> None:
    assert loaded_after_each[statement] == []


@pytest.mark.parametrize("statement", [*LIGHT_STATEMENTS, ARCHIVE_COMMAND_LINE])
def test_command_lines_and_package_names_load_no_heavy_library(
    statement: str, loaded_after_each: dict[str, list[str]]
) -> None:
    assert loaded_after_each[statement] == []


@pytest.mark.parametrize("statement", RECORDING_STATEMENTS)
def test_recording_loads_no_store_client_and_no_live_side(
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
