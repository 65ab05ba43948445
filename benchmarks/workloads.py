"""The benchmark workloads: what each one asks, what the zone answers, what counts as right.

Shared by the server side (``nsdserver.py`` writes the zone from ``ZONE_RECORDS``) and the
client side (``loadgen.py`` builds the names and checks the answers), so the two cannot
drift apart. Plain standard library: ``loadgen.py`` imports this inside the benchmark venv.

Every workload lives under its own wildcard (``*.<label>.bench.test``), so each query can
use a name never asked before: c-ares >= 1.31 answers repeated questions from its query
cache, which would measure a dictionary lookup instead of a DNS round trip.
"""

from __future__ import annotations

from dataclasses import dataclass

ZONE = "bench.test"


@dataclass(frozen=True)
class Workload:
    key: str  # the name used on the command line and in the results
    label: str  # the wildcard's parent: names are q<i>-<tag>.<label>.bench.test
    qtype: str  # query_dns's type ('A', 'MX', ...; Channel: QUERY_TYPE_<qtype>), or 'getaddrinfo'
    record_type: int  # the RR type every answer record must have (1 = A, 15 = MX, ...)
    expected: int  # answer records (or getaddrinfo nodes) a correct answer has
    description: str

    def name(self, index: int, tag: str) -> str:
        return f"q{index}-{tag}.{self.label}.{ZONE}"


BIG_COUNT = 20

WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in (
        Workload("a", "a", "A", 1, 1, "A, 1 record"),
        Workload("big", "big", "A", 1, BIG_COUNT, f"A, {BIG_COUNT} records"),
        Workload("mx", "mx", "MX", 15, 1, "MX, 1 record"),
        Workload("srv", "srv", "SRV", 33, 1, "SRV, 1 record"),
        Workload("txt", "txt", "TXT", 16, 1, "TXT, 1 record (70 bytes)"),
        Workload("naptr", "naptr", "NAPTR", 35, 1, "NAPTR, 1 record"),
        Workload("addrinfo", "gai", "getaddrinfo", 1, 1, "getaddrinfo AF_INET, 1 address"),
    )
}

TXT_TEXT = "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 include:spf.bench.test -all"

# (owner relative to the zone, type, rdata): the zone file's body, SOA and NS aside.
ZONE_RECORDS: list[tuple[str, str, str]] = [
    ("ns", "A", "127.0.0.1"),
    ("mail", "A", "10.3.0.1"),
    ("target", "A", "10.4.0.1"),
    ("*.a", "A", "10.1.0.1"),
    ("*.gai", "A", "10.1.0.2"),
    *(("*.big", "A", f"10.2.0.{i}") for i in range(1, BIG_COUNT + 1)),
    ("*.mx", "MX", f"10 mail.{ZONE}."),
    ("*.srv", "SRV", f"10 5 5060 target.{ZONE}."),
    ("*.txt", "TXT", f'"{TXT_TEXT}"'),
    ("*.naptr", "NAPTR", f'100 10 "S" "SIP+D2U" "" _sip._udp.{ZONE}.'),
]
