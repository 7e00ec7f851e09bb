import asyncio
from asyncio import gather


async def one() -> int:
    return 1


async def collected() -> None:
    results = await asyncio.gather(one(), one(), return_exceptions=True)  # port: gather-return-exceptions
    more = await gather(  # port: gather-return-exceptions
        one(),
        return_exceptions=True,
    )
    print(results, more)
