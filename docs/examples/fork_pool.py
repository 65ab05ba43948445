"""A module-level Channel used by multiprocessing workers (the fork start method):
each worker's first query rebuilds the channel in that process.

Run: python fork_pool.py 127.0.0.1:53
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
from typing import Any, List, Optional

import ctypes_cares as pycares

channel = pycares.Channel(servers=[sys.argv[1]], timeout=2.0, tries=2)


def lookup(name: str) -> List[str]:
    answers: "queue.SimpleQueue[Any]" = queue.SimpleQueue()

    def done(result: Optional[pycares.DNSResult], error: Optional[int]) -> None:
        answers.put([r.data.addr for r in result.answer if isinstance(r.data, pycares.ARecordData)] if result else error)

    channel.query(name, pycares.QUERY_TYPE_A, callback=done)
    found: List[str] = answers.get(timeout=10)
    return found


if __name__ == "__main__":
    print("parent:", lookup("example.com"))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        print("workers:", pool.map(lookup, ["example.com", "www.example.com"]))
    channel.close()
