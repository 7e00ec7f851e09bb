import asyncio
from asyncio import DatagramProtocol


class Echo(asyncio.Protocol):  # port: protocol
    def data_received(self, data: bytes) -> None:
        print(data)


class Datagrams(DatagramProtocol):  # port: protocol
    pass


class NotAProtocol(object):
    pass
