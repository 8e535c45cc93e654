"""The client's address behind reverse proxies: X-Forwarded-For counts only when a trusted proxy sent it."""
import ipaddress

import pytest

from aqstream import config
from aqstream.services.accounts.client_ip import resolve_client_ip


def nets(*texts):
    return tuple(ipaddress.ip_network(t, strict=False) for t in texts)


LOCAL = nets("127.0.0.1", "::1")


def test_without_trusted_proxies_the_header_is_ignored():
    assert resolve_client_ip("203.0.113.7", "198.51.100.1", trusted=()) == "203.0.113.7"
    assert resolve_client_ip("127.0.0.1", "198.51.100.1", trusted=()) == "127.0.0.1"
    assert resolve_client_ip("203.0.113.7", None, trusted=()) == "203.0.113.7"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_forge_its_address():
    assert resolve_client_ip("203.0.113.7", "198.51.100.1", trusted=LOCAL) == "203.0.113.7"
    assert resolve_client_ip("203.0.113.7", "127.0.0.1", trusted=LOCAL) == "203.0.113.7"


def test_a_trusted_proxy_names_the_client():
    assert resolve_client_ip("127.0.0.1", "198.51.100.1", trusted=LOCAL) == "198.51.100.1"
    assert resolve_client_ip("::1", "2001:db8::5", trusted=LOCAL) == "2001:db8::5"
    assert resolve_client_ip("127.0.0.1", "2001:DB8:0:0::5", trusted=LOCAL) == "2001:db8::5"  # one spelling
    assert resolve_client_ip("127.0.0.1", "", trusted=LOCAL) == "127.0.0.1"  # no header: the proxy itself
    assert resolve_client_ip("127.0.0.1", None, trusted=LOCAL) == "127.0.0.1"


def test_the_list_is_read_from_the_right_and_what_the_client_wrote_on_the_left_is_ignored():
    # nginx appends the address it saw to whatever the client sent: "forged, real".
    assert resolve_client_ip("127.0.0.1", "1.1.1.1, 198.51.100.1", trusted=LOCAL) == "198.51.100.1"
    assert resolve_client_ip("127.0.0.1", "1.1.1.1,198.51.100.1", trusted=LOCAL) == "198.51.100.1"


def test_several_trusted_hops_are_skipped_by_network():
    trusted = nets("10.0.0.0/8", "fd00::/8")
    # client -> CDN edge (10.1.1.1) -> load balancer (10.2.2.2) -> app
    assert resolve_client_ip("10.2.2.2", "198.51.100.1, 10.1.1.1", trusted=trusted) == "198.51.100.1"
    assert resolve_client_ip("fd00::2", "2001:db8::9, fd00::1", trusted=trusted) == "2001:db8::9"
    assert resolve_client_ip("10.2.2.2", "6.6.6.6, 198.51.100.1, 10.1.1.1", trusted=trusted) == "198.51.100.1"
    # Every hop trusted (a request from inside the network): the leftmost one.
    assert resolve_client_ip("10.2.2.2", "10.3.3.3, 10.1.1.1", trusted=trusted) == "10.3.3.3"
    # The peer is outside the trusted networks: nothing in the header counts.
    assert resolve_client_ip("192.0.2.1", "10.3.3.3", trusted=trusted) == "192.0.2.1"


def test_ipv4_mapped_ipv6_peers_match_ipv4_networks():
    assert resolve_client_ip("::ffff:127.0.0.1", "198.51.100.1", trusted=LOCAL) == "198.51.100.1"
    assert resolve_client_ip("127.0.0.1", "::ffff:198.51.100.1", trusted=LOCAL) == "198.51.100.1"
    assert resolve_client_ip("::ffff:203.0.113.7", None, trusted=()) == "203.0.113.7"


def test_ports_and_brackets_written_by_some_proxies_are_understood():
    assert resolve_client_ip("127.0.0.1", "198.51.100.1:4711", trusted=LOCAL) == "198.51.100.1"
    assert resolve_client_ip("127.0.0.1", "[2001:db8::5]:4711", trusted=LOCAL) == "2001:db8::5"
    assert resolve_client_ip("127.0.0.1", "[2001:db8::5]", trusted=LOCAL) == "2001:db8::5"
    assert resolve_client_ip("127.0.0.1", '"198.51.100.1"', trusted=LOCAL) == "198.51.100.1"


@pytest.mark.parametrize("header", [
    "garbage", "unknown", "_hidden", ",,,", " , ", "1.2.3.4.5", "999.1.1.1", "[::1", "[]:80", "::1]:80", "\x00\xff",
    "2001:db8::1::2", "1.2.3.4:port:x", "%", "a" * 10_000, ", ".join(["junk"] * 5000), "\u0661.\u0662.\u0663.\u0664",
])
def test_garbage_in_the_header_never_crashes_and_never_becomes_the_address(header):
    # The untrusted hop's garbage: the trusted proxy that passed it on is the best we know.
    assert resolve_client_ip("127.0.0.1", header, trusted=LOCAL) == "127.0.0.1"
    assert resolve_client_ip("203.0.113.7", header, trusted=LOCAL) == "203.0.113.7"


def test_garbage_left_of_the_real_client_does_not_matter():
    assert resolve_client_ip("127.0.0.1", "garbage, 198.51.100.1", trusted=LOCAL) == "198.51.100.1"
    assert resolve_client_ip("127.0.0.1", "198.51.100.1, garbage", trusted=LOCAL) == "127.0.0.1"


def test_peers_that_are_not_addresses_are_kept_as_they_are():
    assert resolve_client_ip("testclient", "198.51.100.1", trusted=LOCAL) == "testclient"
    assert resolve_client_ip(None, "198.51.100.1", trusted=LOCAL) == "unknown"
    assert resolve_client_ip("", None, trusted=LOCAL) == "unknown"
    assert len(resolve_client_ip("x" * 500, None, trusted=LOCAL)) <= 64


def test_a_very_long_chain_of_trusted_hops_is_cut_short():
    header = ", ".join(["198.51.100.1"] + ["127.0.0.1"] * 10_000)
    assert resolve_client_ip("127.0.0.1", header, trusted=LOCAL) == "127.0.0.1"


def test_trusted_proxies_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("AQSTREAM_TRUSTED_PROXIES", raising=False)
    assert config.trusted_proxies() == ()
    assert resolve_client_ip("127.0.0.1", "198.51.100.1") == "127.0.0.1"  # nobody is trusted by default
    monkeypatch.setenv("AQSTREAM_TRUSTED_PROXIES", " 127.0.0.1, ::1  10.0.0.0/8,192.168.1.7/24 ")
    assert config.trusted_proxies() == nets("127.0.0.1", "::1", "10.0.0.0/8", "192.168.1.0/24")
    assert resolve_client_ip("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert resolve_client_ip("10.9.9.9", "198.51.100.1") == "198.51.100.1"
    assert resolve_client_ip("203.0.113.7", "198.51.100.1") == "203.0.113.7"


@pytest.mark.parametrize("value", ["localhost", "10.0.0.0/33", "1.2.3", "*"])
def test_a_wrong_trusted_proxy_setting_is_an_error_that_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("AQSTREAM_TRUSTED_PROXIES", f"127.0.0.1, {value}")
    with pytest.raises(ValueError, match="AQSTREAM_TRUSTED_PROXIES"):
        config.trusted_proxies()
