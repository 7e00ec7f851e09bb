"""Upstream test suites (CPython test_asyncio, Trio, AnyIO) mirrored against the matrix."""
