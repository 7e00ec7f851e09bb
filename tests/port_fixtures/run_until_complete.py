import asyncio


async def main() -> None:
    await asyncio.sleep(0)


loop = asyncio.new_event_loop()  # port: get-event-loop
loop.run_until_complete(main())  # port: run-until-complete
loop.run_forever()  # port: run-until-complete
