"""Code written for aiodns, and libraries that import aiodns themselves (aiohttp's
AsyncResolver), running on ctypes_cares.

Run: python aiodns_dropin.py 127.0.0.1:53
"""

from __future__ import annotations

import asyncio
import sys

import ctypes_cares.aio

sys.modules["aiodns"] = ctypes_cares.aio  # before anything imports aiodns

import aiodns  # noqa: E402  (this is ctypes_cares.aio now)


async def main(server: str) -> None:
    resolver = aiodns.DNSResolver(nameservers=[server], timeout=2.0, tries=2)
    try:
        result = await resolver.query_dns("example.com", "A")
        print(type(resolver).__module__, [r.data.addr for r in result.answer])
        try:
            await resolver.query_dns("nothing.invalid", "A")
        except aiodns.error.DNSError as exc:
            print("error", exc.args[0] == aiodns.error.ARES_ENOTFOUND)
    finally:
        await resolver.close()


asyncio.run(main(sys.argv[1]))
