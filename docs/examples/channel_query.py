"""Getting started: one MX query through a Channel.

Run: python channel_query.py 127.0.0.1:53   (the DNS server to ask, HOST:PORT)
"""

from __future__ import annotations

import sys
from typing import Optional

import ctypes_cares as pycares

server = sys.argv[1]
channel = pycares.Channel(servers=[server], timeout=2.0, tries=2)


def done(result: Optional[pycares.DNSResult], error: Optional[int]) -> None:
    if error is not None:
        print("failed:", pycares.errno.errorcode[error], pycares.errno.strerror(error))
    else:
        assert result is not None
        for record in result.answer:
            print(record.name, record.ttl, record.data)


channel.query("example.com", pycares.QUERY_TYPE_MX, callback=done)
channel.query("nothing.invalid", pycares.QUERY_TYPE_A, callback=done)
channel.wait()  # until both callbacks have run
channel.close()
