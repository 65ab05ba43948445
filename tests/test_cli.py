"""The command line (``ctypes_cares/__main__.py``), run as a real subprocess.

Every run uses the interpreter running the tests and imports the very ``ctypes_cares``
the tests imported (its parent directory goes first on ``PYTHONPATH``, and the
subprocess starts in the tests directory), so the same tests work against the source
tree and against an installed wheel.  Answers come from the ``dns_server`` fixture
only; ``-x``/``--addrinfo`` use 127.0.0.1/localhost, which c-ares answers from the
hosts file.  ``--json`` output is checked field by field against what
``ctypes_cares.Channel`` returns in this process for the same question.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest
from capabilities import needs
from cares_helpers import QUIET_OUTDATED
from dnsserver import DNSServer

import ctypes_cares
from ctypes_cares import _cli_output as present

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(ctypes_cares.__file__)))
_HERE = os.path.dirname(os.path.abspath(__file__))

# Run through runpy with Python's SIGINT handler forced on: a process started from a
# non-interactive shell's background job inherits SIGINT as "ignored", and Python keeps
# that, so a plain `-m ctypes_cares` child could not be interrupted there.
_INTERRUPTIBLE = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('ctypes_cares', run_name='__main__', alter_sys=True)"
)


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _PACKAGE_PARENT + (os.pathsep + path if path else "")
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _command(args: Sequence[str], interruptible: bool = False) -> List[str]:
    head = ["-c", _INTERRUPTIBLE] if interruptible else ["-m", "ctypes_cares"]
    return [sys.executable, "-W", "error", "-W", QUIET_OUTDATED, *head, *args]


def run_cli(*args: str, timeout: float = 30) -> "subprocess.CompletedProcess[str]":
    proc = subprocess.run(
        _command(args), cwd=_HERE, env=_env(), capture_output=True, text=True, timeout=timeout
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def ask(server: DNSServer, *args: str) -> "subprocess.CompletedProcess[str]":
    return run_cli("--server", server.address, *args)


def norm(text: str) -> List[str]:
    """Non-empty output lines with runs of blanks squeezed (alignment-independent)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def section(text: str, title: str) -> List[str]:
    """The normalised lines of one ``;; TITLE SECTION:`` block of the output."""
    lines: List[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith(";; "):
            inside = line == f";; {title} SECTION:"
        elif inside and line.strip():
            lines.append(" ".join(line.split()))
        elif not line.strip():
            inside = False
    return lines


# --------------------------------------------------------------------------------------
# The zone

ZONE = "example.test"
HTTPS_PARAMS = [
    (0, b"\x00\x01\x00\x03"),  # mandatory=alpn,port
    (1, b"\x02h2\x02h3"),
    (2, b""),
    (3, b"\x20\xfb"),  # 8443
    (4, bytes([192, 0, 2, 1, 192, 0, 2, 2])),
    (5, b"\x00\x45\xfe\x0d"),
    (6, bytes(15) + b"\x01"),
    (65000, b"\xab\xcd"),
]
TLSA_DATA = bytes(range(0xA0, 0xC0))


def fill_zone(server: DNSServer) -> None:
    server.add(ZONE, "A", "192.0.2.1")
    server.add(ZONE, "A", "192.0.2.2", ttl=3600)
    server.add(ZONE, "AAAA", "2001:db8::1")
    server.add(ZONE, "NS", "ns1.example.test")
    server.add(ZONE, "SOA", ("ns1.example.test", "hostmaster.example.test",
                             2024010101, 7200, 900, 1209600, 300))
    server.add(ZONE, "MX", (10, "mail.example.test"))
    server.add(ZONE, "MX", (20, "mx2.example.test"))
    server.add(ZONE, "TXT", "v=spf1 -all")
    server.add(ZONE, "TXT", [b'say "hi" \\ ', b"\x00\xff\n"])
    server.add(ZONE, "CAA", (0, "issue", "ca.example.net"))
    server.add(ZONE, "CAA", (128, "iodef", "mailto:sec@example.test"))
    server.add(ZONE, "HTTPS", (1, ".", HTTPS_PARAMS))
    server.add(ZONE, "TLSA", (3, 1, 1, TLSA_DATA))
    server.add(ZONE, "NAPTR", (100, 10, "S", "SIP+D2U", "!^.*$!sip:info@example.test!",
                               "_sip._udp.example.test"))
    server.add(ZONE, "URI", (10, 1, "https://www.example.test/"))
    server.add("_sip._udp.example.test", "SRV", (0, 5, 5060, "sip.example.test"))
    server.add("1.2.0.192.in-addr.arpa", "PTR", "host.example.test")
    server.add("www.example.test", "CNAME", "example.test")
    server.add("alias.example.test", "HTTPS", (0, "svc.example.net", []))


# (query name, type, the answer lines expected, whitespace squeezed)
RECORD_CASES: List[Tuple[str, str, List[str]]] = [
    (ZONE, "A", ["example.test. 300 IN A 192.0.2.1", "example.test. 3600 IN A 192.0.2.2"]),
    (ZONE, "AAAA", ["example.test. 300 IN AAAA 2001:db8::1"]),
    (ZONE, "NS", ["example.test. 300 IN NS ns1.example.test."]),
    ("www.example.test", "CNAME", ["www.example.test. 300 IN CNAME example.test."]),
    (ZONE, "SOA", ["example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. "
                   "2024010101 7200 900 1209600 300"]),
    ("1.2.0.192.in-addr.arpa", "PTR", ["1.2.0.192.in-addr.arpa. 300 IN PTR host.example.test."]),
    (ZONE, "MX", ["example.test. 300 IN MX 10 mail.example.test.",
                  "example.test. 300 IN MX 20 mx2.example.test."]),
    (ZONE, "TXT", ['example.test. 300 IN TXT "v=spf1 -all"',
                   'example.test. 300 IN TXT "say \\"hi\\" \\\\ \\000\\255\\010"']),
    ("_sip._udp.example.test", "SRV",
     ["_sip._udp.example.test. 300 IN SRV 0 5 5060 sip.example.test."]),
    (ZONE, "NAPTR", ['example.test. 300 IN NAPTR 100 10 "S" "SIP+D2U" '
                     '"!^.*$!sip:info@example.test!" _sip._udp.example.test.']),
    (ZONE, "TLSA", ["example.test. 300 IN TLSA 3 1 1 " + TLSA_DATA.hex().upper()]),
    (ZONE, "HTTPS", ["example.test. 300 IN HTTPS 1 . mandatory=alpn,port alpn=h2,h3 "
                     "no-default-alpn port=8443 ipv4hint=192.0.2.1,192.0.2.2 ech=AEX+DQ== "
                     "ipv6hint=::1 key65000=abcd"]),
    ("alias.example.test", "HTTPS", ["alias.example.test. 300 IN HTTPS 0 svc.example.net."]),
    (ZONE, "URI", ['example.test. 300 IN URI 10 1 "https://www.example.test/"']),
    (ZONE, "CAA", ['example.test. 300 IN CAA 0 issue "ca.example.net"',
                   'example.test. 300 IN CAA 128 iodef "mailto:sec@example.test"']),
]


@pytest.mark.parametrize(
    "qname, qtype, expected", RECORD_CASES, ids=[f"{c[1]}-{c[0]}" for c in RECORD_CASES]
)
def test_record_types(dns_server: DNSServer, qname: str, qtype: str, expected: List[str]) -> None:
    fill_zone(dns_server)
    proc = ask(dns_server, qname, qtype)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert section(proc.stdout, "QUESTION") == [f";{qname}. IN {qtype}"]
    assert section(proc.stdout, "ANSWER") == expected
    # Only non-empty sections get a header.
    assert ";; AUTHORITY SECTION:" not in proc.stdout
    assert ";; ADDITIONAL SECTION:" not in proc.stdout


def test_any_lists_every_type(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    proc = ask(dns_server, ZONE, "ANY")
    assert proc.returncode == 0, proc.stderr
    answer = section(proc.stdout, "ANSWER")
    types = {line.split()[3] for line in answer}
    assert types == {"A", "AAAA", "NS", "SOA", "MX", "TXT", "CAA", "HTTPS", "TLSA", "NAPTR", "URI"}
    for _, qtype, expected in RECORD_CASES:
        if expected[0].startswith(f"{ZONE}. "):
            assert set(expected) <= set(answer), qtype


def test_cname_chain_and_all_sections_aligned(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    dns_server.add(ZONE, "NS", "ns1.example.test", section="authority")
    dns_server.add(ZONE, "A", "192.0.2.53", section="additional")
    proc = ask(dns_server, "www.example.test")
    assert proc.returncode == 0, proc.stderr
    assert section(proc.stdout, "ANSWER") == [
        "www.example.test. 300 IN CNAME example.test.",
        "example.test. 300 IN A 192.0.2.1",
        "example.test. 3600 IN A 192.0.2.2",
    ]
    assert section(proc.stdout, "AUTHORITY") == ["example.test. 300 IN NS ns1.example.test."]
    assert section(proc.stdout, "ADDITIONAL") == ["example.test. 300 IN A 192.0.2.53"]
    # Headers in dig's order, separated by blank lines.
    headers = [line for line in proc.stdout.splitlines() if line.startswith(";; ")]
    # dig's flags line first where the header can be had (query_message, c-ares >= 1.28).
    flags = [";; flags: qr aa rd ra; QUERY: 1, ANSWER: 3, AUTHORITY: 1, ADDITIONAL: 2"]
    assert headers == (flags if ctypes_cares.capabilities.dnsrec else []) + [
        ";; QUESTION SECTION:", ";; ANSWER SECTION:", ";; AUTHORITY SECTION:",
        ";; ADDITIONAL SECTION:",
    ]
    assert "\n\n;; ANSWER SECTION:\n" in proc.stdout
    # Columns line up across all sections: the TTLs end, and the data starts, in the
    # same column on every record line.
    records = [line for line in proc.stdout.splitlines() if line and not line.startswith(";")]
    assert len(records) == 5
    ttl_ends = {line.index(" IN ") for line in records}
    data_starts = {len(line) - len(line.split(None, 4)[4]) for line in records}
    assert len(ttl_ends) == 1 and len(data_starts) == 1, proc.stdout
    assert "\t" not in proc.stdout


def test_several_types_one_block_each(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    proc = ask(dns_server, ZONE, "mx", "AAAA", "Txt")
    assert proc.returncode == 0, proc.stderr
    questions = [line for line in norm(proc.stdout) if line.startswith(";example")]
    assert questions == [";example.test. IN MX", ";example.test. IN AAAA", ";example.test. IN TXT"]
    assert proc.stdout.count(";; ANSWER SECTION:") == 3


def test_default_type_is_a_and_pycares_form(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    ours = ask(dns_server, ZONE, "MX")
    pycares_form = ask(dns_server, "mx", ZONE)
    assert pycares_form.returncode == 0, pycares_form.stderr
    assert pycares_form.stdout == ours.stdout
    default = ask(dns_server, ZONE)
    assert section(default.stdout, "QUESTION") == [";example.test. IN A"]
    # Two type names: our form, NAME first ("any" is queried for MX, and is unknown).
    both = ask(dns_server, "any", "mx")
    assert both.returncode == 1
    assert both.stderr == "ctypes-cares: any MX: ARES_ENOTFOUND (Domain name not found)\n"
    assert [(q.name, q.qtype) for q in dns_server.queries][-1] == ("any", 15)


# --------------------------------------------------------------------------------------
# JSON against the binding


def binding_call(method: str, *args: Any, **kwargs: Any) -> Tuple[Any, Any]:
    """The same request through ``ctypes_cares.Channel`` in this process.

    ``server=`` points the channel at a test server; without it the channel uses the
    system settings (hosts file, resolv.conf), like the CLI without ``--server``.
    """
    server: Optional[DNSServer] = kwargs.pop("server", None)
    done = threading.Event()
    outcome: List[Any] = []

    def callback(result: Any, status: Optional[int]) -> None:
        if not outcome:
            outcome.extend((result, status))
        done.set()

    if server is not None:
        channel = ctypes_cares.Channel(servers=[server.address], timeout=5.0, tries=1)
    else:
        channel = ctypes_cares.Channel()
    try:
        getattr(channel, method)(*args, callback=callback, **kwargs)
        assert done.wait(10)
    finally:
        channel.close()
    return outcome[0], outcome[1]


def unjson_bytes(value: Any) -> bytes:
    """Invert the CLI's byte-string encoding: printable text, or {"hex": ...}."""
    if isinstance(value, dict):
        assert list(value) == ["hex"]
        raw = bytes.fromhex(value["hex"])
        assert not (raw.isascii() and raw.decode("ascii").isprintable()), "should be text"
        return raw
    assert isinstance(value, str) and value.isascii() and value.isprintable()
    return value.encode("ascii")


def assert_record_equal(got: Dict[str, Any], record: ctypes_cares.DNSRecord) -> None:
    assert list(got) == ["name", "type", "type_name", "record_class", "class_name", "ttl", "data"]
    assert got["name"] == record.name
    assert got["type"] == record.type
    assert got["type_name"] == present.type_name(record.type)
    assert got["record_class"] == record.record_class
    assert got["class_name"] == present.class_name(record.record_class)
    assert got["ttl"] == record.ttl
    fields = [f.name for f in dataclasses.fields(record.data)]
    assert list(got["data"]) == fields
    for name in fields:
        expected = getattr(record.data, name)
        value = got["data"][name]
        if name == "params":
            assert [p["name"] for p in value] == [
                present.SVC_KEYS.get(key, f"key{key}") for key, _ in expected
            ]
            value = [(p["key"], unjson_bytes(p["value"])) for p in value]
            expected = [(key, bytes(raw)) for key, raw in expected]
        elif isinstance(expected, bytes):
            value = unjson_bytes(value)
        assert value == expected, (record, name)


def assert_dns_result_equal(got: Dict[str, Any], result: ctypes_cares.DNSResult) -> None:
    assert list(got) == ["answer", "authority", "additional"]
    for key in ("answer", "authority", "additional"):
        records = getattr(result, key)
        assert len(got[key]) == len(records), key
        for item, record in zip(got[key], records):
            assert_record_equal(item, record)


JSON_TYPES = ["A", "AAAA", "NS", "SOA", "MX", "TXT", "NAPTR", "TLSA", "HTTPS", "URI", "CAA", "ANY"]


def test_json_matches_binding(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    dns_server.add(ZONE, "NS", "ns1.example.test", section="authority")
    dns_server.add(ZONE, "A", "192.0.2.53", section="additional")
    proc = ask(dns_server, "--json", ZONE, *JSON_TYPES)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(JSON_TYPES)
    for line, qtype in zip(lines, JSON_TYPES):
        obj = json.loads(line)
        assert obj["query"] == {"name": ZONE, "type": qtype, "class": "IN", "search": False}
        assert obj["status"] == 0 and obj["error"] is None
        result, status = binding_call("query", ZONE, present.QUERY_TYPES[qtype], server=dns_server)
        assert status is None
        assert_dns_result_equal(obj["result"], result)
    # The HTTPS parameters also carry their presentation form.
    https = json.loads(lines[JSON_TYPES.index("HTTPS")])["result"]["answer"][0]["data"]
    assert [p["text"] for p in https["params"]][:4] == [
        "mandatory=alpn,port", "alpn=h2,h3", "no-default-alpn", "port=8443"
    ]


@pytest.mark.parametrize(
    "qname, qtype", [("www.example.test", "CNAME"), ("1.2.0.192.in-addr.arpa", "PTR"),
                     ("_sip._udp.example.test", "SRV"), ("alias.example.test", "HTTPS")]
)
def test_json_other_names(dns_server: DNSServer, qname: str, qtype: str) -> None:
    fill_zone(dns_server)
    proc = ask(dns_server, "--json", qname, qtype)
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    result, status = binding_call("query", qname, present.QUERY_TYPES[qtype], server=dns_server)
    assert status is None
    assert_dns_result_equal(obj["result"], result)


def test_json_byte_encoding(dns_server: DNSServer) -> None:
    dns_server.add(ZONE, "TXT", "plain text")
    dns_server.add(ZONE, "TXT", b"tab\there")
    dns_server.add(ZONE, "CAA", (0, "issue", "caf\u00e9.example"))
    proc = ask(dns_server, "--json", ZONE, "TXT", "CAA")
    assert proc.returncode == 0, proc.stderr
    txt, caa = (json.loads(line)["result"]["answer"] for line in proc.stdout.splitlines())
    assert [r["data"]["data"] for r in txt] == ["plain text", {"hex": b"tab\there".hex()}]
    # A non-ASCII CAA value stays bytes in the binding, so it is hex here.
    assert caa[0]["data"]["value"] == {"hex": "caf\u00e9.example".encode().hex()}


def test_json_failure_object(dns_server: DNSServer) -> None:
    dns_server.set_fault("nxdomain", "nx.example.test")
    proc = ask(dns_server, "--json", "nx.example.test", "MX")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {
        "query": {"name": "nx.example.test", "type": "MX", "class": "IN", "search": False},
        "status": 4,
        "error": {"name": "ARES_ENOTFOUND", "message": "Domain name not found"},
        "result": None,
    }
    assert "ARES_ENOTFOUND" in proc.stderr


# --------------------------------------------------------------------------------------
# Failures and exit status


@pytest.mark.parametrize(
    "fault, name, message",
    [
        ("nxdomain", "ARES_ENOTFOUND", "Domain name not found"),
        # 1.17/1.18 report ECONNREFUSED after SERVFAIL/REFUSED
        pytest.param(
            "servfail", "ARES_ESERVFAIL", "DNS server returned general failure",
            marks=needs("dnsrec", "1.28"),
        ),
        pytest.param(
            "refused", "ARES_EREFUSED", "DNS server refused query", marks=needs("dnsrec", "1.28")
        ),
        ("nodata", "ARES_ENODATA", "DNS server returned answer with no data"),
    ],
)
def test_dns_says_no_exits_1(dns_server: DNSServer, fault: str, name: str, message: str) -> None:
    dns_server.set_fault(fault)
    proc = ask(dns_server, "--tries", "1", "example.test")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == f"ctypes-cares: example.test A: {name} ({message})\n"


def test_timeout_exits_3(dns_server: DNSServer) -> None:
    dns_server.set_fault("drop")
    proc = ask(dns_server, "--timeout", "0.2", "--tries", "1", "example.test", "MX")
    assert proc.returncode == 3
    assert proc.stderr == (
        "ctypes-cares: example.test MX: ARES_ETIMEOUT (Timeout while contacting DNS servers)\n"
    )


def test_unreachable_server_exits_3() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = run_cli("--server", f"127.0.0.1:{port}", "--timeout", "0.2", "--tries", "1", "x.test")
    assert proc.returncode == 3
    assert "ARES_ECONNREFUSED" in proc.stderr or "ARES_ETIMEOUT" in proc.stderr


@needs("dnsrec", "1.28")  # 1.17/1.18 report ECONNREFUSED after SERVFAIL
def test_worst_status_wins(dns_server: DNSServer) -> None:
    fill_zone(dns_server)
    dns_server.set_fault("servfail", qtype="TXT")
    dns_server.set_fault("drop", qtype="MX")
    proc = ask(dns_server, "--timeout", "0.2", "--tries", "1", ZONE, "A", "TXT")
    assert proc.returncode == 1
    assert section(proc.stdout, "ANSWER")[0] == "example.test. 300 IN A 192.0.2.1"
    assert proc.stderr.count("\n") == 1 and "example.test TXT: ARES_ESERVFAIL" in proc.stderr
    proc = ask(dns_server, "--timeout", "0.2", "--tries", "1", ZONE, "TXT", "MX", "A")
    assert proc.returncode == 3
    assert "TXT: ARES_ESERVFAIL" in proc.stderr and "MX: ARES_ETIMEOUT" in proc.stderr


@needs("dnsrec", "1.28")  # name validation at submission
def test_bad_name_exits_1(dns_server: DNSServer) -> None:
    proc = ask(dns_server, "bad name.test")
    assert proc.returncode == 1
    assert proc.stderr == (
        "ctypes-cares: bad name.test A: ARES_EBADNAME (Misformatted domain name)\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["example.test", "BOGUS"],
        ["mx", "a.test", "b.test"],
        ["--server", "dns.example.test", "x.test"],
        ["--server", "127.0.0.1:99999", "x.test"],
        ["--server", "[::1", "x.test"],
        ["--timeout", "-1", "x.test"],
        ["--timeout", "soon", "x.test"],
        ["--tries", "0", "x.test"],
        ["--class", "XX", "x.test"],
        ["--family", "4", "x.test"],
        ["-x", "not-an-ip"],
        ["-x", "127.0.0.1", "x.test"],
        ["-x", "127.0.0.1", "--addrinfo"],
        ["--addrinfo"],
        ["--addrinfo", "--family", "5", "localhost"],
        ["--addrinfo", "--search", "localhost"],
        ["--no-such-option", "x.test"],
    ],
    ids=lambda a: " ".join(a) or "no-args",
)
def test_usage_errors_exit_2(args: List[str]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2, proc
    assert proc.stdout == ""
    assert proc.stderr.startswith("usage: ctypes-cares ")
    assert "ctypes-cares: error: " in proc.stderr


def test_help_exits_0() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: ctypes-cares ")
    for option in ("--server", "--tcp", "--timeout", "--tries", "--class", "--search",
                   "--json", "-x", "--addrinfo", "--family", "--version"):
        assert option in proc.stdout


def test_interrupt_exits_130_quietly(dns_server: DNSServer) -> None:
    dns_server.set_fault("drop")
    proc = subprocess.Popen(
        _command(["--server", dns_server.address, "--timeout", "30", "example.test"], True),
        cwd=_HERE, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert dns_server.wait_for_queries(1, timeout=15), "the CLI never queried"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert out == ""
