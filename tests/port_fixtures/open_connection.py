import asyncio
import socket

import trio


async def client() -> None:
    reader, writer = await asyncio.open_connection("localhost", 8000)  # port: open-connection
    writer.close()
    loop = asyncio.get_running_loop()  # port: get-event-loop
    await loop.create_connection(asyncio.Protocol, "localhost", 8000)  # port: open-connection
    socket.create_connection(("localhost", 8000)).close()
    await trio.open_tcp_stream("localhost", 8000)
