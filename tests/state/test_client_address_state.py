"""The sign-in and forgotten-password pages take the client's address as the API does (issue 12, defect 6).

The router is built the way Reflex builds it for a websocket connection (`EventNamespace._build_static_router_data`),
so the test follows where Reflex puts the connection's peer and headers."""
from types import SimpleNamespace

import pytest
from reflex.app import EventNamespace
from reflex.istate.data import RouterData

from aqstream.state.base import AppState


def address_seen(peer: str, headers: list[tuple[bytes, bytes]] = ()) -> str:
    environ = {"asgi.scope": {"type": "websocket", "client": (peer, 50000), "headers": list(headers)}}
    router = RouterData.from_router_data(EventNamespace._build_static_router_data(None, "sid", environ))
    return AppState._client_address(SimpleNamespace(router=router))


def test_without_trusted_proxies_the_connection_counts_and_the_header_is_ignored(monkeypatch):
    monkeypatch.delenv("AQSTREAM_TRUSTED_PROXIES", raising=False)
    assert address_seen("203.0.113.7") == "203.0.113.7"
    assert address_seen("203.0.113.7", [(b"x-forwarded-for", b"198.51.100.1")]) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_forwarded_client_counts(monkeypatch):
    monkeypatch.setenv("AQSTREAM_TRUSTED_PROXIES", "127.0.0.1")
    forwarded = [(b"x-forwarded-for", b"1.1.1.1, 198.51.100.1")]
    assert address_seen("127.0.0.1", forwarded) == "198.51.100.1"
    assert address_seen("203.0.113.7", forwarded) == "203.0.113.7"  # not through the proxy: ignored
    # Two X-Forwarded-For lines are one list; the last one is the proxy's.
    two = [(b"x-forwarded-for", b"6.6.6.6"), (b"x-forwarded-for", b"198.51.100.2")]
    assert address_seen("127.0.0.1", two) == "198.51.100.2"


@pytest.mark.parametrize("value", [b"garbage", b"", b"\xff\xfe", b", ,"])
def test_garbage_headers_leave_the_proxy_address(monkeypatch, value):
    monkeypatch.setenv("AQSTREAM_TRUSTED_PROXIES", "127.0.0.1")
    assert address_seen("127.0.0.1", [(b"x-forwarded-for", value)]) == "127.0.0.1"


def test_a_header_named_like_the_peer_cannot_replace_it(monkeypatch):
    monkeypatch.delenv("AQSTREAM_TRUSTED_PROXIES", raising=False)
    assert address_seen("203.0.113.7", [(b"asgi-scope-client", b"198.51.100.9")]) == "203.0.113.7"
