#!/usr/bin/env python3
"""mail_clock.py — an aiosmtpd sink on 127.0.0.1 that notes when each MAIL command arrived.

  mail_clock.py --port-file FILE --out FILE

For every message accepted it appends one line to --out: the Message-ID header of the message,
a tab, and the wall-clock time (ms since 1970, time.time()) at which its MAIL command was
received. Binds port 0 and writes the chosen port to --port-file once listening. SIGTERM stops it.
"""
import argparse
import asyncio
import email.parser
import os
import signal
import time

from aiosmtpd.smtp import SMTP


class Clock:
    def __init__(self, out):
        self.out = open(out, "a", buffering=1)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.mail_ms = time.time() * 1000.0
        return "250 2.1.0 OK"

    async def handle_DATA(self, server, session, envelope):
        headers = email.parser.BytesHeaderParser().parsebytes(envelope.original_content or b"")
        message_id = (headers.get("Message-ID") or "").strip()
        self.out.write("%s\t%.3f\n" % (message_id, getattr(envelope, "mail_ms", 0.0)))
        return "250 2.0.0 OK"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    handler = Clock(args.out)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="clock.example.test"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
