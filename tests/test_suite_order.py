"""`make test` hands the longest test files out first; these checks keep that from silently stopping.

xdist's loadscope scheduler re-sorts the files by their number of tests unless told not to, which
put the one-minute files at the end of the run (a minute with one busy worker and the rest idle).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from xdist.scheduler.loadscope import LoadScopeScheduling

from tests.conftest import LONGEST_FIRST, longest_first_rank

ROOT = Path(__file__).resolve().parents[1]


def _unit_recipe() -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^unit:.*\n\t(?P<recipe>.+)$", makefile, flags=re.MULTILINE)
    assert match, "the Makefile has no unit target"
    return match["recipe"]


def test_every_file_named_longest_first_exists_once() -> None:
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
    missing = [path for path in LONGEST_FIRST if not (ROOT / path).is_file()]
    assert not missing, f"LONGEST_FIRST names files that are gone: {missing}"


class _Config:
    """The two settings xdist's LoadScopeScheduling reads, as the Makefile's recipe sets them."""

    def __init__(self, recipe: str) -> None:
        self.option = SimpleNamespace(loadscopereorder="--no-loadscope-reorder" not in recipe)

    def getvalue(self, name: str) -> object:
        assert name == "tx"
        return ["2*popen"]


class _Worker:
    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def test_xdist_configured_as_the_makefile_starts_with_the_longest_file() -> None:
    recipe = _unit_recipe()
    assert "--dist loadscope" in recipe  # whole files to one worker: the scheduler below
    longest = LONGEST_FIRST[0]
    # a collection in file order, sorted as tests/conftest.py sorts it on every worker; the file of
    # most tests is what xdist would hand out first if it re-sorted
    collected = [f"tests/archive/test_{n}.py::test" for n in range(4)]
    collected += [f"tests/portal/test_many.py::test_{n}" for n in range(30)] + [f"{longest}::test_one"]
    collection = sorted(collected, key=lambda nodeid: longest_first_rank(nodeid.split("::")[0]))
    scheduling = LoadScopeScheduling(_Config(recipe))
    workers = [_Worker("gw0"), _Worker("gw1")]
    for worker in workers:
        scheduling.add_node(worker)
        scheduling.add_node_collection(worker, collection)
    scheduling.schedule()
    first_handed_out = collection[workers[0].sent[0]]
    assert first_handed_out.startswith(longest), first_handed_out
