"""Reading a journal back: parse every chunk in order and check the hash chain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from archive.errors import JournalError
from archive.journal.format import GENESIS_PREV, JournalLine, parse_line, split_lines


@dataclass(slots=True)
class ChainReport:
    """The lines that parsed, in order, and one message per break in the chain."""

    lines: list[JournalLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def read_chain(chunks: Iterable[tuple[str, bytes]], *, allow_torn_tail: bool = False) -> ChainReport:
    """Parse ``(name, bytes)`` chunks in order and check ``seq`` and ``prev`` across all of them.

    A line that does not parse, a ``seq`` out of order, or a ``prev`` that is not the SHA-256 of the
    line before is reported by chunk name and line number. Bytes after a chunk's last newline are a
    torn write: reported, unless ``allow_torn_tail`` (the writer's own recovery handles them).
    """
    report = ChainReport()
    expected_seq = 0
    expected_prev = GENESIS_PREV
    for name, data in chunks:
        complete, tail = split_lines(data)
        for number, raw in enumerate(complete, start=1):
            where = f"{name} line {number}"
            try:
                line = parse_line(raw, where=where)
            except JournalError as exc:
                report.problems.append(str(exc))
                expected_seq += 1
                expected_prev = ""  # the next line cannot be checked against an unparsable one
                continue
            if line.seq != expected_seq:
                report.problems.append(f"{where}: seq {line.seq} where {expected_seq} was expected")
            if expected_prev and line.prev != expected_prev:
                report.problems.append(f"{where}: hash chain broken (prev does not match the line before)")
            report.lines.append(line)
            expected_seq = line.seq + 1
            expected_prev = line.digest
        if tail and not allow_torn_tail:
            report.problems.append(f"{name}: {len(tail)} bytes after the last complete line (torn write)")
    return report
