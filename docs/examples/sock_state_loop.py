"""sock_state_cb mode: you watch c-ares's sockets, and callbacks run in your thread,
inside process_fd (here a selectors loop; no thread is started).

Run: python sock_state_loop.py 127.0.0.1:53
"""

from __future__ import annotations

import selectors
import sys
import threading
from typing import List, Optional

import ctypes_cares as pycares

selector = selectors.DefaultSelector()
pending: List[str] = []


def sock_state(fd: int, readable: int, writable: int) -> None:
    """c-ares says which sockets to watch, and for what (both False: forget it)."""
    events = (selectors.EVENT_READ if readable else 0) | (selectors.EVENT_WRITE if writable else 0)
    if fd in selector.get_map():
        if events:
            selector.modify(fd, events)
        else:
            selector.unregister(fd)
    elif events:
        selector.register(fd, events)


def done(result: Optional[pycares.DNSResult], error: Optional[int]) -> None:
    pending.remove("example.com")
    print("answered on", threading.current_thread().name, [r.data for r in result.answer] if result else error)


channel = pycares.Channel(servers=[sys.argv[1]], timeout=2.0, tries=2, sock_state_cb=sock_state)
pending.append("example.com")
channel.query("example.com", pycares.QUERY_TYPE_A, callback=done)
while pending:
    ready = selector.select(channel.timeout(1.0))  # c-ares's next deadline, at most 1 s
    if not ready:  # the deadline passed: c-ares retries or fails the queries due
        channel.process_fd(pycares.ARES_SOCKET_BAD, pycares.ARES_SOCKET_BAD)
    for key, mask in ready:
        fd = int(key.fd)
        channel.process_fd(
            fd if mask & selectors.EVENT_READ else pycares.ARES_SOCKET_BAD,
            fd if mask & selectors.EVENT_WRITE else pycares.ARES_SOCKET_BAD,
        )
channel.close()
