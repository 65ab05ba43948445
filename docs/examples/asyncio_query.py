"""Getting started: the same questions through asyncio (the aiodns API).

Run: python asyncio_query.py 127.0.0.1:53
"""

from __future__ import annotations

import asyncio
import sys

from ctypes_cares.aio import DNSResolver
from ctypes_cares.aio.error import DNSError
from ctypes_cares.records import MXRecordData


async def main(server: str) -> None:
    async with DNSResolver(nameservers=[server], timeout=2.0, tries=2) as resolver:
        result = await resolver.query_dns("example.com", "MX")
        print([(r.data.priority, r.data.exchange) for r in result.answer if isinstance(r.data, MXRecordData)])
        info = await resolver.getaddrinfo("example.com", port=443)
        print([node.addr for node in info.nodes])  # (address bytes, port), as in aiodns
        try:
            await resolver.query_dns("nothing.invalid", "A")
        except DNSError as exc:
            print(exc.args)


asyncio.run(main(sys.argv[1]))
