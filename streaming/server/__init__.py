"""The live server: WHIP ingest, WHEP egress, the decode-free relay, the wall and its HTTP API.

``create_app`` builds the ASGI app around a ``LiveService`` (standalone, or mounted in the portal);
the service is the only thing the routes and the portal call.
"""

from streaming.server.auth import Authorizer, FeedScope, TokenAuthorizer
from streaming.server.bindings import DeviceBindings, PublishRefusal, RefusalSink, SettingsBindings
from streaming.server.service import LiveService
from streaming.server.web.app import create_app

__all__ = [
    "Authorizer",
    "DeviceBindings",
    "FeedScope",
    "LiveService",
    "PublishRefusal",
    "RefusalSink",
    "SettingsBindings",
    "TokenAuthorizer",
    "create_app",
]
