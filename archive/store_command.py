"""``python -m archive store``: run the embedded S3 store in the foreground until SIGINT / SIGTERM."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from archive.errors import ArchiveError
from archive.stop_request import StopRequest
from archive.store.embedded.readiness import DEFAULT_START_SECONDS
from archive.store.store_config import StoreConfig

if TYPE_CHECKING:
    from archive.store.embedded import EmbeddedStore

_WATCH_INTERVAL_SECONDS = 1.0

_Handler = Callable[[int, FrameType | None], object] | int | None


def run_store_command(data_dir: Path, port: int, *, start_seconds: float = DEFAULT_START_SECONDS) -> int:
    """Start the embedded store, print its settings as shell ``export`` lines, serve until signalled.

    The start may take ``start_seconds``; a line on stderr says what it waits for, and more follow
    every few seconds while it waits.

    Blocks until SIGINT or SIGTERM (installed on the main thread, restored afterwards), then stops
    weed. Returns 0 after a clean stop, 1 after printing one line on stderr when the store cannot be
    started or weed dies on its own.
    """
    from archive.store.embedded import EmbeddedStore  # noqa: PLC0415 - minio: only this command needs it

    stop_requested = StopRequest()
    restore_handlers = stop_requested.install()
    store: EmbeddedStore | None = None
    try:
        store = EmbeddedStore(data_dir, port=port, start_seconds=start_seconds)
        print(
            f"courtrec store: starting SeaweedFS in {data_dir}; waiting up to {start_seconds:g} s for S3"
            f" on 127.0.0.1:{port}",
            file=sys.stderr,
            flush=True,
        )
        store.start()
        _print_exports(store.config, data_dir)
        while not stop_requested.wait(_WATCH_INTERVAL_SECONDS):
            if not store.is_running:
                raise ArchiveError(f"weed exited unexpectedly; see {data_dir / 'logs'}")
    except (ArchiveError, OSError, ValueError) as exc:
        print(f"courtrec store: {_first_line(exc)}", file=sys.stderr)
        return 1
    finally:
        if store is not None:
            store.stop()
        restore_handlers()
    return 0


def _print_exports(config: StoreConfig, data_dir: Path) -> None:
    settings = {
        "COURTREC_S3_ENDPOINT": config.endpoint,
        "COURTREC_S3_BUCKET": config.bucket,
        "COURTREC_S3_ACCESS_KEY": config.access_key,
        "COURTREC_S3_SECRET_KEY": config.secret_key,
    }
    print(f"# courtrec embedded S3 store, data in {data_dir}; stop with Ctrl-C")
    for name, value in settings.items():
        print(f"export {name}={shlex.quote(value)}")
    sys.stdout.flush()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
