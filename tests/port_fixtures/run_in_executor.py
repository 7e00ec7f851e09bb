import asyncio
import socket
import time


async def blocking() -> None:
    loop = asyncio.get_running_loop()  # port: get-event-loop
    await loop.run_in_executor(None, time.sleep, 0)  # port: run-in-executor
    await asyncio.get_running_loop().run_in_executor(None, print)  # port: get-event-loop run-in-executor
    socket.create_connection(("localhost", 1))  # the socket module, not a loop
