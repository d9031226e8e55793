"""The HTTP server limits both servers take from their settings (the live server's and the portal's):
the same bounds, defaults and descriptions, under each package's own setting names."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

KeepAliveSeconds = Annotated[
    int, Field(ge=1, le=120, description="an idle keep-alive connection is closed after this long")
]
HeaderTimeoutSeconds = Annotated[
    float,
    Field(
        ge=0.5,
        le=120.0,
        description="a connection whose request line and headers are not complete this long is closed",
    ),
]
MaxHeaderBytes = Annotated[
    int,
    Field(
        ge=4 * 1024,
        le=256 * 1024,
        description="request line and headers larger than this are refused while being read",
    ),
]
MaxConnections = Annotated[
    int,
    Field(
        ge=10,
        le=100_000,
        description="open connections and requests in progress at most; beyond, uvicorn answers 503",
    ),
]
