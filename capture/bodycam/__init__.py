"""The body camera mode of the agent: standby with an in-memory pre-event buffer, a recording per
activation (a key, a signal, the local console, or the command centre through the portal)."""

from capture.bodycam.command import run_bodycam
from capture.bodycam.options import add_bodycam_parser

__all__ = ["add_bodycam_parser", "run_bodycam"]
