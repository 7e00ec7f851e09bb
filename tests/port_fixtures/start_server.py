import asyncio
import socket
from asyncio import start_server


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


async def serve(loop: asyncio.AbstractEventLoop) -> None:
    server = await start_server(handle, "localhost", 8000)  # port: start-server
    other = await loop.create_server(asyncio.Protocol, "localhost", 8001)  # port: start-server
    plain = socket.create_server(("localhost", 8002))
    print(server, other, plain)
