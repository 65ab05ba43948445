"""asyncio: the loop's own getaddrinfo through c-ares, for every library on the loop.

Run: python aio_install.py 127.0.0.1:53
"""

from __future__ import annotations

import asyncio
import socket
import sys

from ctypes_cares import aio


async def main(server: str) -> None:
    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello")
        writer.close()

    listener = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]

    aio.install(servers=[server], timeout=2.0, tries=2)
    loop = asyncio.get_running_loop()
    # open_connection -> loop.create_connection -> loop.getaddrinfo: now c-ares.
    reader, writer = await asyncio.open_connection("local.example.com", port)
    print(await reader.read())
    writer.close()
    print(await loop.getaddrinfo("local.example.com", 443, type=socket.SOCK_STREAM))
    try:
        await loop.getaddrinfo("nothing.invalid", 443)
    except socket.gaierror as exc:
        print(exc.errno == socket.EAI_NONAME, exc)
    aio.uninstall()  # the loop's own methods again

    listener.close()
    await listener.wait_closed()


asyncio.run(main(sys.argv[1]))
