"""aiodns 3.x code: the deprecated query() with pycares-4 shaped results still works.

Run: python legacy_query.py 127.0.0.1:53
"""

from __future__ import annotations

import asyncio
import sys
import warnings

from ctypes_cares.aio import DNSResolver
from ctypes_cares.records import MXRecordData


async def main(server: str) -> None:
    async with DNSResolver(nameservers=[server], timeout=2.0, tries=2) as resolver:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mx = await resolver.query("example.com", "MX")  # a list of AresQueryMXResult
        print([(r.host, r.priority, r.ttl) for r in mx])
        print(caught[0].category.__name__, caught[0].message)
        # The aiodns 4 form.  (Its TTL is left out: this answer comes from c-ares's
        # query cache, which counts the TTL down by the seconds since the first.)
        modern = await resolver.query_dns("example.com", "MX")
        print([(r.data.exchange, r.data.priority) for r in modern.answer if isinstance(r.data, MXRecordData)])


asyncio.run(main(sys.argv[1]))
