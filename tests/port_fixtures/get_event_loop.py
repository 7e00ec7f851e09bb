import asyncio
from asyncio import get_event_loop, new_event_loop

import uvloop

loop = get_event_loop()  # port: get-event-loop
other = new_event_loop()  # port: get-event-loop
fast = uvloop.new_event_loop()
