"""The clerk's console: a page served by ``capture serve`` on the courtroom PC (loopback by default,
a token when bound elsewhere), in Chinese, working with the portal unreachable — live thumbnails and
sound levels from the recorder's own frames, the recording's state, the readiness check, start /
pause / resume / stop, log notes and sealed spans."""

from capture.service.console.access import ConsoleAccess, is_loopback
from capture.service.console.app import create_console_app
from capture.service.console.levels import LevelMeters
from capture.service.console.pictures import Thumbnails
from capture.service.console.server import ConsoleServer
from capture.service.console.state_view import ConsoleView

__all__ = [
    "ConsoleAccess",
    "ConsoleServer",
    "ConsoleView",
    "LevelMeters",
    "Thumbnails",
    "create_console_app",
    "is_loopback",
]
