"""The I/O models from scratch, standard library only: no asyncio, no Trio, no AnyIO.

:mod:`fromscratch.reactor` is a callback event loop over ``select``, ``poll`` or
``epoll``; :mod:`fromscratch.io_models` is the echo-server progression (blocking,
thread per client, non-blocking busy polling, multiplexed) that leads to it. They
are the exhibit the three columns are measured against, not a column themselves.
"""
