"""The body camera mode of the agent: standby with an in-memory pre-event buffer, a recording per
activation (a key, a signal, the local console, or the command centre through the portal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

if TYPE_CHECKING:
    from capture.bodycam.command import run_bodycam
    from capture.bodycam.options import add_bodycam_parser

__all__ = ["add_bodycam_parser", "run_bodycam"]

# lazily (PEP 562): the command line needs the options, only ``capture bodycam`` the agent
__getattr__, __dir__, _ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "options": ["add_bodycam_parser"],
        "command": ["run_bodycam"],
    },
)
