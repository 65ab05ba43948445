"""anyio: the aiodns-shaped resolver as coroutines, under asyncio and under trio.

Run: python anyio_resolver.py 127.0.0.1:53
"""

from __future__ import annotations

import sys

import anyio

from ctypes_cares.anyio import DNSError, DNSResolver


async def main(server: str) -> None:
    async with DNSResolver([server], timeout=2.0, tries=2) as resolver:
        result = await resolver.query_dns("example.com", "MX")
        print([(r.data.priority, r.data.exchange) for r in result.answer])
        try:
            await resolver.query_dns("nothing.invalid", "A")
        except DNSError as exc:
            print(exc.args)


for backend in ("asyncio", "trio"):
    print(backend)
    anyio.run(main, sys.argv[1], backend=backend)
