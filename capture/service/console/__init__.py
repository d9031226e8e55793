"""The clerk's console: a page served by ``capture serve`` on the courtroom PC (loopback by default,
a token when bound elsewhere), in Chinese, working with the portal unreachable — live thumbnails and
sound levels from the recorder's own frames, the recording's state, the readiness check, start /
pause / resume / stop, log notes and sealed spans."""

# The app and its server (FastAPI, uvicorn) are imported by whoever starts the console
# (capture.service.console.app / .server), so that importing the agent loads no web framework.
from capture.service.console.access import ConsoleAccess, is_loopback
from capture.service.console.levels import LevelMeters
from capture.service.console.pictures import Thumbnails
from capture.service.console.state_view import ConsoleView

__all__ = ["ConsoleAccess", "ConsoleView", "LevelMeters", "Thumbnails", "is_loopback"]
