"""``python -m bench.smtp``: what keeping SMTP connections open buys against a submission server
(STARTTLS, then AUTH, like port 587): messages one after another through ``activities/smtp.py``
to the SMTP sink with a certificate from a throw-away CA, with ``smtp_idle_connections`` 0 (a
connection per message) and 20. Prints wall and CPU milliseconds per message (the client and
the sink share this process). A few seconds; the database is not involved.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import ssl
import tempfile
import time
import warnings
from email.mime.text import MIMEText
from pathlib import Path

import trustme

from activities.smtp import SmtpConnections
from infra.settings import Settings
from infra.smtp_sink import SmtpSink


async def _run(sink: SmtpSink, cafile: Path, idle: int, messages: int) -> str:
    settings = Settings(
        environment="test",
        smtp_port=sink.port,
        smtp_security="starttls",
        smtp_username="bench",
        smtp_password="bench",
        smtp_ca_file=str(cafile),
        smtp_idle_connections=idle,
    )
    smtp = SmtpConnections(settings, "bench.example.org")
    message = MIMEText("A letter of the bench.")
    message["Subject"], message["From"], message["To"] = "bench", settings.mail_from, "a@x.org"
    await smtp.deliver(message, "a@x.org")  # warm-up: the TLS context, the first connection
    began, used = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(messages):
        await smtp.deliver(message, "a@x.org")
    after = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.monotonic() - began
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    await smtp.aclose()
    return (
        f"smtp_idle_connections={idle}: {messages} messages, {wall / messages * 1000:.1f} ms "
        f"each, CPU {cpu / messages * 1000:.1f} ms each; connections opened {smtp.opened}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smtp", description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
    ca = trustme.CA()
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    cafile = Path(tempfile.mkdtemp(prefix="biosafety-bench-smtp-")) / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    sink = SmtpSink(
        None, tls_context=server_tls, require_starttls=True, credentials={"bench": "bench"}
    )
    sink.start()
    try:
        for idle in (0, 20):
            print(asyncio.run(_run(sink, cafile, idle, args.messages)), flush=True)
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
