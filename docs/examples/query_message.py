"""The whole DNS message: header flags, rcode, EDNS and DNSSEC records (c-ares >= 1.28).

Run: python query_message.py 127.0.0.1:53
"""

from __future__ import annotations

import sys
from typing import Optional

import ctypes_cares as pycares
from ctypes_cares.records import DNSMessage


def show(message: Optional[DNSMessage], error: Optional[int]) -> None:
    if message is None:
        print("failed:", pycares.errno.errorcode[error or 0])
        return
    print("rcode", message.rcode, "authenticated (AD)", message.flags.ad)
    for record in message.answer:
        print(" ", record.name, record.type, record.data)
    if message.edns is not None:
        print("  EDNS udp_size", message.edns.udp_size, "DO", message.edns.dnssec_ok)


channel = pycares.Channel(servers=[sys.argv[1]], timeout=2.0, tries=2)
channel.query_message("example.com", pycares.QUERY_TYPE_A, dnssec_ok=True, callback=show)
channel.query_message("nothing.invalid", pycares.QUERY_TYPE_A, callback=show)  # NXDOMAIN is data here
channel.wait()
channel.close()
