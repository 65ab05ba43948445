"""Who runs a default Channel's callbacks: the package's driver thread.

Run: python threads.py 127.0.0.1:53
"""

from __future__ import annotations

import sys
import threading
from typing import List, Optional

import ctypes_cares as pycares

answers: List[str] = []
lock = threading.Lock()  # the callback runs on another thread than the code below


def done(result: Optional[pycares.DNSResult], error: Optional[int]) -> None:
    with lock:
        answers.append(f"{threading.current_thread().name}: error={error}")


channel = pycares.Channel(servers=[sys.argv[1]], timeout=2.0, tries=2)
channel.query("example.com", pycares.QUERY_TYPE_A, callback=done)
channel.wait()
with lock:
    print("\n".join(answers))
print("main thread:", threading.current_thread().name)
channel.close()
