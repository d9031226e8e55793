"""The fleet routes' caller: the device whose enrolled key signed the request (issue 15).

``signed_device`` (a route dependency) reads the signature headers and the exact body bytes, and
checks them (:mod:`portal.devices.request_auth`) in a transaction of its own, so a request's nonce is
spent even when the route then fails. A refusal is 403 and audited. The shared agent token stays
the outer gate (``agent_gate``): it is checked before this, and before any body is read.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import Request
from sqlalchemy.exc import IntegrityError

from archive.formats.device_request import DeviceRequestFormatError, RequestSignature
from portal.db import transaction
from portal.devices.request_auth import (
    DeviceRequestRefusedError,
    audit_request_refusal,
    authenticate_device_request,
)
from portal.web.deps import ContextDep, client_ip


def _api_path(request: Request) -> str:
    """The request's path below the portal's root (what the device signed: ``/api/…``)."""
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def signed_device(request: Request, context: ContextDep) -> str:
    """The id of the device that signed this request (the path's ``device_id``); 403 otherwise."""
    device_id = str(request.path_params.get("device_id", ""))
    path, query = _api_path(request), request.scope.get("query_string", b"").decode("latin-1")
    ip = client_ip(request)
    body = await request.body()

    def check() -> None:
        now = context.clock.now()
        window = timedelta(seconds=context.settings.portal_device_request_window_seconds)
        try:
            signed = RequestSignature.from_headers({k.lower(): v for k, v in request.headers.items()})
            with transaction(context.sessions) as db:
                authenticate_device_request(
                    db,
                    device_id,
                    signed,
                    method=request.method,
                    path=path,
                    query=query,
                    body=body,
                    now=now,
                    window=window,
                )
        except DeviceRequestFormatError as exc:
            refused = DeviceRequestRefusedError(f"请求未带设备签名：{exc}", "unsigned")
        except DeviceRequestRefusedError as exc:
            refused = exc
        except IntegrityError:  # the same nonce committed by a parallel copy of this request
            refused = DeviceRequestRefusedError("该请求已被接收过一次，重放的请求不予接受", "replayed")
        else:
            return
        with transaction(context.sessions) as db:
            audit_request_refusal(db, device_id, refused.reason, path, now=now, ip=ip)
        raise refused

    await asyncio.to_thread(check)
    return device_id
