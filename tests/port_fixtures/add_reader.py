import asyncio
import selectors
import socket


def watch(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    loop.add_reader(sock.fileno(), print)  # port: add-reader
    loop.add_writer(sock.fileno(), print)  # port: add-reader
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
