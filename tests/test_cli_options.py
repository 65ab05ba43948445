"""The command line: options reach the Channel, exit codes, and the rest of its flags."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import pytest
from dnsserver import DNSServer
import ctypes_cares
from ctypes_cares import __main__ as cli
from ctypes_cares import _cli_output as present
from test_cli import ZONE, ask, binding_call, fill_zone, norm, run_cli, section


# --------------------------------------------------------------------------------------
# Options reach the Channel


def test_tcp_option(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    proc = ask(dns_server, "--tcp", ZONE, "AAAA")
    assert proc.returncode == 0, proc.stderr
    assert [q.transport for q in dns_server.queries] == ["tcp"]


def test_class_option(dns_server: DNSServer) -> None:
    dns_server.add("version.bind", "TXT", "9.99", rclass=3)
    proc = ask(dns_server, "--class", "ch", "version.bind", "TXT")
    assert proc.returncode == 0, proc.stderr
    assert section(proc.stdout, "QUESTION") == [";version.bind. CH TXT"]
    assert section(proc.stdout, "ANSWER") == ['version.bind. 300 CH TXT "9.99"']
    assert dns_server.queries[-1].qclass == 3


def test_search_option(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    plain = ask(dns_server, "www")
    assert plain.returncode == 1  # query() sends "www." as is
    proc = ask(dns_server, "--search", "--domain", "example.test", "--json", "www")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["query"]["search"] is True
    assert obj["result"]["answer"][0]["name"] == "www.example.test"
    text = ask(dns_server, "--search", "--domain", "example.test", "www", "CNAME")
    assert section(text.stdout, "ANSWER") == ["www.example.test. 300 IN CNAME example.test."]


def test_ipv6_server(dns_server6: DNSServer) -> None:
    fill_zone(dns_server6)
    assert dns_server6.address.startswith("[::1]:")
    proc = ask(dns_server6, ZONE, "AAAA")
    assert proc.returncode == 0, proc.stderr
    assert section(proc.stdout, "ANSWER") == ["example.test. 300 IN AAAA 2001:db8::1"]


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"ctypes-cares {ctypes_cares.__version__} ")
    assert lines[1] == f"c-ares {ctypes_cares.ARES_VERSION}"
    assert lines[2] == f"library {ctypes_cares.capabilities.path}"
    assert os.path.exists(lines[2].split(" ", 1)[1])


# --------------------------------------------------------------------------------------
# -x and --addrinfo


def test_reverse_from_hosts_file() -> None:
    expected, status = binding_call("gethostbyaddr", "127.0.0.1")
    if status is not None:
        pytest.skip(f"this system cannot reverse 127.0.0.1 (status {status})")
    proc = run_cli("-x", "127.0.0.1")
    assert proc.returncode == 0, proc.stderr
    lines = norm(proc.stdout)
    assert lines[0] == ";; HOST: 127.0.0.1"
    assert lines[1] == f"name: {expected.name}"
    assert lines[2:] == [f"alias: {a}" for a in expected.aliases] + [
        f"address: {a}" for a in expected.addresses
    ]
    data = json.loads(run_cli("--json", "-x", "127.0.0.1").stdout)
    assert data["status"] == 0
    assert data["result"] == dataclasses.asdict(expected)


def test_reverse_through_dns(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    proc = ask(dns_server, "-x", "192.0.2.1")
    assert proc.returncode == 0, proc.stderr
    assert "name: host.example.test" in norm(proc.stdout)
    assert ("1.2.0.192.in-addr.arpa", 12) in [(q.name, q.qtype) for q in dns_server.queries]
    proc = ask(dns_server, "--tries", "1", "-x", "192.0.2.99")
    assert proc.returncode == 1
    assert proc.stderr.startswith("ctypes-cares: -x 192.0.2.99: ARES_ENOTFOUND")


@pytest.mark.parametrize("family", ["any", "4", "6"])
def test_addrinfo_localhost(family: str) -> None:
    number = {"any": socket.AF_UNSPEC, "4": socket.AF_INET, "6": socket.AF_INET6}[family]
    expected, status = binding_call("getaddrinfo", "localhost", None, family=number)
    if status is not None:
        pytest.skip(f"this system cannot resolve localhost for family {family}")
    proc = run_cli("--addrinfo", "localhost", "--family", family)
    assert proc.returncode == 0, proc.stderr
    lines = norm(proc.stdout)
    assert lines[0] == ";; ADDRINFO: localhost"
    assert lines[1:] == [
        f"localhost. {n.ttl} {'IPv6' if n.family == socket.AF_INET6 else 'IPv4'} "
        f"{n.addr[0].decode()}"
        for n in expected.nodes
    ]
    if family == "4":
        assert "localhost. 0 IPv4 127.0.0.1" in lines


def test_addrinfo_json_and_port() -> None:
    expected, status = binding_call("getaddrinfo", "localhost", "80", family=socket.AF_INET)
    assert status is None and expected.nodes
    proc = run_cli("--addrinfo", "localhost", "--family", "4", "--port", "80", "--json")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["query"] == {"host": "localhost", "port": "80", "family": "4", "mode": "getaddrinfo"}
    nodes = obj["result"]["nodes"]
    assert len(nodes) == len(expected.nodes)
    for got, node in zip(nodes, expected.nodes):
        assert got == {
            "ttl": node.ttl, "flags": node.flags, "family": int(node.family),
            "socktype": node.socktype, "protocol": node.protocol,
            "addr": [node.addr[0].decode("ascii"), *node.addr[1:]],
        }
    assert obj["result"]["cnames"] == []
    text = run_cli("--addrinfo", "localhost", "--family", "4", "--port", "80")
    assert "localhost. 0 IPv4 127.0.0.1:80" in norm(text.stdout)


def test_addrinfo_failure(dns_server: DNSServer) -> None:
    proc = ask(dns_server, "--tries", "1", "--addrinfo", "nothing.example.test")
    assert proc.returncode == 1
    assert proc.stderr.startswith("ctypes-cares: --addrinfo nothing.example.test: ARES_ENOTFOUND")


# --------------------------------------------------------------------------------------
# Presentation helpers (in process: pure functions)


@pytest.mark.parametrize(
    "text, csv",
    [
        ("127.0.0.1", "127.0.0.1:53"),
        ("127.0.0.1:5353", "127.0.0.1:5353"),
        ("::1", "[::1]:53"),
        ("[::1]", "[::1]:53"),
        ("[::1]:5353", "[::1]:5353"),
        ("[2001:db8::1]:53", "[2001:db8::1]:53"),
    ],
)
def test_server_argument(text: str, csv: str) -> None:
    assert cli._server(text) == csv


@pytest.mark.parametrize(
    "key, raw, shown",
    [
        (3, b"\x01\xbb\x00", "key3=01bb00"),  # malformed port: shown raw
        (1, b"\x03h2", "key1=036832"),  # alpn id overruns
        (1, b"\x04a,b\\", "alpn=a\\,b\\\\"),
        (2, b"\x00", "key2=00"),
        (4, b"\x01\x02\x03", "key4=010203"),
        (7, b"/dns-query{?dns}", "dohpath=/dns-query{?dns}"),
        (8, b"", "ohttp"),
        (65280, b"", "key65280"),
    ],
)
def test_svc_param_rendering(key: int, raw: bytes, shown: str) -> None:
    assert present.svc_param(key, raw) == shown


def test_quote() -> None:
    assert present.quote(b'a "b" \\c\x7f\xe9 ') == '"a \\"b\\" \\\\c\\127\\233 "'
    assert present.quote("") == '""'


def test_exit_code_table() -> None:
    assert cli.exit_code(0) == 0
    assert [cli.exit_code(s) for s in (1, 2, 3, 4, 6, 8, 10)] == [1] * 7
    assert [cli.exit_code(s) for s in (11, 12, 26)] == [3, 3, 3]
    assert cli.status_name(26) == "ARES_ENOSERVER"
