#!/usr/bin/env python3
"""relay_latency.py — accept-to-250 latency of an SMTP server, for scripts/bench-relay.

  relay_latency.py HOST PORT MESSAGES CONNECTIONS SIZE

CONNECTIONS sessions at once (threads), each sends its share of MESSAGES messages with a body of
about SIZE octets in 80-octet lines (like smtp-source -l SIZE) over one connection, waiting for each reply
(no pipelining). For each message it takes the time from the write of the final dot to the
arrival of the whole reply to it: the time the server needs to make the message durable and
say so. Prints one line: `messages=N p50_ms=X p99_ms=Y max_ms=Z`. Exits 1 when a reply is not
2xx/3xx where expected (the reply is printed on stderr).
"""
import socket
import sys
import threading
import time


def session(host, port, count, size, results, errors):
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = sock.makefile("rb")

    def reply():
        while True:
            line = f.readline()
            if not line:
                raise RuntimeError("connection closed")
            if line[3:4] != b"-":
                return line

    def expect(line, first):
        if line[:1] != first:
            raise RuntimeError("unexpected reply %r" % line)

    try:
        expect(reply(), b"2")
        sock.sendall(b"EHLO latency.test\r\n")
        expect(reply(), b"2")
        # SIZE octets in lines of 78 + CRLF, as a mail body is (no line over 998 octets).
        line = b"x" * 78 + b"\r\n"
        body = line * (size // len(line)) + b"x" * max(0, size % len(line) - 2) + b"\r\n"
        for n in range(count):
            sock.sendall(b"MAIL FROM:<a@example.com>\r\n")
            expect(reply(), b"2")
            sock.sendall(b"RCPT TO:<b@example.com>\r\n")
            expect(reply(), b"2")
            sock.sendall(b"DATA\r\n")
            expect(reply(), b"3")
            content = b"From: <a@example.com>\r\nTo: <b@example.com>\r\nSubject: latency %d\r\n\r\n" % n + body
            sock.sendall(content)
            started = time.perf_counter()
            sock.sendall(b".\r\n")
            line = reply()
            results.append(time.perf_counter() - started)
            expect(line, b"2")
        sock.sendall(b"QUIT\r\n")
        reply()
    except Exception as error:  # reported, and the run fails
        errors.append(str(error))
    finally:
        sock.close()


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    host, port, messages, connections, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    results, errors = [], []
    share = [messages // connections + (1 if i < messages % connections else 0) for i in range(connections)]
    threads = [threading.Thread(target=session, args=(host, port, n, size, results, errors)) for n in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors or not results:
        sys.stderr.write("relay_latency: %s\n" % "; ".join(errors[:3] or ["no message sent"]))
        sys.exit(1)
    print("messages=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f" % (
        len(results), percentile(results, 50) * 1000, percentile(results, 99) * 1000, max(results) * 1000))


if __name__ == "__main__":
    main()
