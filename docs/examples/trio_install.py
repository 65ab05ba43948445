"""trio: c-ares as trio's hostname resolver, for everything that uses trio.socket.

Run: python trio_install.py 127.0.0.1:53
"""

from __future__ import annotations

import socket
import sys

import trio

import ctypes_cares.trio


async def main(server: str) -> None:
    ctypes_cares.trio.install(servers=[server], timeout=2.0, tries=2)

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def greet(stream: trio.SocketStream) -> None:
        await stream.send_all(b"hello")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, greet, listeners)
        # open_tcp_stream resolves local.example.com through c-ares: no worker thread.
        stream = await trio.open_tcp_stream("local.example.com", port)
        print(await stream.receive_some())
        await stream.aclose()
        nursery.cancel_scope.cancel()

    # Results and errors have the socket module's shapes.
    print(await trio.socket.getaddrinfo("local.example.com", 80, type=socket.SOCK_STREAM))
    try:
        await trio.socket.getaddrinfo("nothing.invalid", 80)
    except socket.gaierror as exc:
        print(exc.errno == socket.EAI_NONAME, exc)


trio.run(main, sys.argv[1])
