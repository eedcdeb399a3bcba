"""``python -m bench.sink``: what the development stack's SMTP sink costs per message. Starts
``python -m infra.smtp_sink`` as ``make run`` does (messages on disk only), sends it messages
shaped like our letters (a bilingual subject in encoded words, a display name, a few kilobytes
of text) over several kept connections at once, and prints messages per second and the sink's
CPU milliseconds and resident memory. The sink shares the machine with the worker, the dev
server and PostgreSQL, so its CPU per message is CPU the rest of the stack does not get in a
deadline storm (docs/performance.md, "What sets the storm's pace at 1,000"). A few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from bench.live.processes import cpu_seconds, rss_bytes
from bench.verdicts import percentile
from infra.readiness import port_open
from tests.soak.stack import free_ports

ROOT = Path(__file__).resolve().parents[1]


def letter(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = '"Competent National Authority (gene technology)" <authority@example.org>'
    message["To"] = "regulatory@example.com"
    message["Subject"] = (
        f"Határidő lejárt / Deadline passed (Cartagena Protocol, Article 9) – case aia-hu-{n:05d}"
    )
    message["Message-ID"] = f"<bench-{n}-{time.time_ns()}@example.org>"
    message.set_content("Tisztelt Bejelentő! / Dear notifier,\n" * 60)
    return message


async def _connection(port: int, queue: asyncio.Queue[int], took: list[float]) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await client.connect()
    try:
        while not queue.empty():
            n = queue.get_nowait()
            start = time.perf_counter()
            await client.send_message(letter(n))
            took.append(time.perf_counter() - start)
    finally:
        await client.quit()


async def _blast(port: int, messages: int, connections: int) -> tuple[float, list[float]]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(messages):
        queue.put_nowait(n)
    took: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(*(_connection(port, queue, took) for _ in range(connections)))
    return time.perf_counter() - start, took


def measure(messages: int, connections: int) -> dict[str, float]:
    (port,) = free_ports(1)
    with tempfile.TemporaryDirectory() as folder:
        argv = [sys.executable, "-m", "infra.smtp_sink", "--port", str(port), "--dir", folder]
        sink = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while not port_open(port):
                if time.monotonic() > deadline or sink.poll() is not None:
                    raise RuntimeError("the SMTP sink did not start")
                time.sleep(0.05)
            rss_before = rss_bytes(sink.pid)
            cpu_before = cpu_seconds(sink.pid)
            wall, took = asyncio.run(_blast(port, messages, connections))
            cpu = cpu_seconds(sink.pid) - cpu_before
            rss_after = rss_bytes(sink.pid)
            stored = len(list(Path(folder).glob("*.eml")))
        finally:
            sink.terminate()
            sink.wait(timeout=10)
    return {
        "messages": stored,
        "per_second": round(messages / wall, 1),
        "sink_cpu_ms_per_message": round(cpu * 1000 / messages, 2),
        "answer_p50_ms": round(percentile(took, 50) * 1000, 1),
        "answer_p99_ms": round(percentile(took, 99) * 1000, 1),
        "sink_rss_mib_before": round(rss_before / 2**20, 1),
        "sink_rss_mib_after": round(rss_after / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sink", description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args(argv)
    print(measure(args.messages, args.connections))


if __name__ == "__main__":
    main()
