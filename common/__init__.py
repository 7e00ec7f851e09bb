"""The loop-free pieces every column uses: standard library only, no event loop.

What is the same in asyncio, Trio and AnyIO is written once, here: the timer grid,
argument checks, listening-socket helpers, the interface Protocol the three packages
satisfy, and the FTP server's sans-I/O core (:mod:`common.ftp`, which imports no
socket) with the plain socket and file support its three shells share
(:mod:`common.ftp_support`). Nothing here imports ``asyncio``'s event loop, Trio or
AnyIO, so a column that imports it stays standalone.
"""
