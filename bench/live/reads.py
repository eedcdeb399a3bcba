"""The reads (figure 4): 20 clients at a time against the bare constant endpoint, then a case,
a list, the public register and a few hot cases through the API."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from functools import partial

import httpx

from bench.live.load import Latencies, timed
from bench.live.stack import StackRun


class ReadsPhase(StackRun):
    async def reads(self) -> None:
        every = self.storm_ids + self.command_ids + self.background_ids
        hot = random.sample(every, min(self.options.hot, len(every)))

        async def get(url: str, client: httpx.AsyncClient) -> str:
            return str((await client.get(url)).status_code)

        async with httpx.AsyncClient(
            timeout=httpx.Timeout(120.0), limits=httpx.Limits(max_connections=64)
        ) as plain:
            scenarios: list[tuple[str, Callable[[], str], httpx.AsyncClient]] = [
                ("bare constant", lambda: f"{self.bare_url}/constant", plain),
                ("case", lambda: f"/v1/cases/{random.choice(every)}", self.api),
                ("list", lambda: "/v1/cases?stage=received&overdue=false&limit=50", self.api),
                ("register", lambda: f"/v1/register/{random.choice(every)}", self.api),
                ("hot cases", lambda: f"/v1/cases/{random.choice(hot)}", self.api),
            ]
            for name, url, client in scenarios:
                warm = Latencies()
                for _ in range(self.options.readers):
                    await timed(warm, partial(get, url(), client))
                out = Latencies()
                until = time.monotonic() + self.options.read_seconds

                async def reader(
                    url: Callable[[], str] = url,
                    client: httpx.AsyncClient = client,
                    out: Latencies = out,
                    until: float = until,
                ) -> None:
                    while time.monotonic() < until:
                        await timed(out, partial(get, url(), client))

                began = time.monotonic()
                await asyncio.gather(*(reader() for _ in range(self.options.readers)))
                out.wall = time.monotonic() - began
                self.measured.reads[name] = out
                print(f"    reads, {name}: {out.summary()}", flush=True)
