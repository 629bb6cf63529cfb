#!/usr/bin/env python3
"""smtplib_send.py — the Python smtplib peer of scripts/bench.

One connection, EHLO (STARTTLS + EHLO + AUTH when asked), N messages of SIZE bytes with
smtplib's sendmail (one MAIL, RCPT, DATA round trip each: smtplib does not pipeline), QUIT.
Prints the same line as smtp-bench: `messages=N seconds=S rate=R`, the clock running from
connect to QUIT's reply. Exits 1 if a message was refused.

  smtplib_send.py --server HOST:PORT --messages N --size BYTES
                  [--starttls --ca PEM] [--user U --password-env VAR]
"""
import argparse
import os
import smtplib
import ssl
import sys
import time


def make_message(size, sender, recipient):
    """The same shape as smtp-bench's: a short header, then 76-character lines with CRLF."""
    header = "From: <%s>\r\nTo: <%s>\r\nSubject: smtp-bench\r\n\r\n" % (sender, recipient)
    message = bytearray(header.encode())
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    line = 0
    while len(message) + 2 < size:
        room = min(76, size - len(message) - 2)
        message += bytes(alphabet[(line + column) % len(alphabet)] for column in range(room))
        message += b"\r\n"
        line += 1
    return bytes(message)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="HOST:PORT")
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--ca", help="CA certificates (PEM) that verify the server")
    parser.add_argument("--user")
    parser.add_argument("--password-env", help="the environment variable holding the password")
    parser.add_argument("--from", dest="sender", default="a@example.com")
    parser.add_argument("--to", dest="recipient", default="b@example.com")
    args = parser.parse_args()
    host, _, port = args.server.rpartition(":")
    body = make_message(args.size, args.sender, args.recipient)
    password = os.environ[args.password_env] if args.password_env else None

    start = time.perf_counter()
    client = smtplib.SMTP(host, int(port), local_hostname="bench.example.com", timeout=30)
    client.ehlo()
    if args.starttls:
        context = ssl.create_default_context(cafile=args.ca)
        client.starttls(context=context)
        client.ehlo()
    if args.user:
        client.login(args.user, password)
    delivered = 0
    for number in range(1, args.messages + 1):
        refused = client.sendmail(args.sender, [args.recipient], body)
        if refused:
            print("smtplib_send: message %d refused: %r" % (number, refused), file=sys.stderr)
        else:
            delivered += 1
    client.quit()
    seconds = time.perf_counter() - start
    print("messages=%d seconds=%.3f rate=%.1f" % (delivered, seconds, delivered / seconds))
    return 0 if delivered == args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
