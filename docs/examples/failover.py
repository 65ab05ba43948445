"""Timeouts, retries and server failover, watched through server_state_cb (c-ares >= 1.29).

Run: python failover.py DEAD_SERVER LIVE_SERVER   (each HOST:PORT; the first never answers)
"""

from __future__ import annotations

import sys
import threading
from typing import Optional

import ctypes_cares as pycares


answered = threading.Event()


def server_state(server: str, success: bool, flags: int) -> None:
    transport = "TCP" if flags & pycares.constants.ARES_SERV_STATE_TCP else "UDP"
    print(f"server {server} {transport}: {'answered' if success else 'failed'}")
    if success:
        answered.set()


def done(result: Optional[pycares.DNSResult], error: Optional[int]) -> None:
    print("answer:", [r.data for r in result.answer] if result else pycares.errno.errorcode[error or 0])


channel = pycares.Channel(
    servers=sys.argv[1:3],
    timeout=0.25,  # the first try's timeout, in seconds; each retry doubles it
    tries=2,  # tries per server before the query fails
    max_timeout=2.0,  # ... but no try waits longer than this
    server_retry_chance=10,  # probe a failed server again on 1 query in 10
    server_retry_delay=5.0,  # and at most every 5 seconds
    server_state_cb=server_state,
)
channel.query("example.com", pycares.QUERY_TYPE_A, callback=done)
channel.wait()
answered.wait(10)  # the answering server is reported right after the answer's callback
channel.close()
