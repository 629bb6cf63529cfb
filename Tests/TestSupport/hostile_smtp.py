#!/usr/bin/env python3
"""hostile_smtp.py: a scripted SMTP server that misbehaves on purpose, for the client's bounds.

    python3 hostile_smtp.py MODE

Listens on 127.0.0.1 (a free port, printed as the first line of standard output), serves one
client, and exits. Every mode stops by itself (byte and time limits), so a client without the
bound under test fails the test instead of hanging it.

Modes:
  endless   a greeting of '220-' continuation lines that never ends (up to 256 MB or 60 s)
  drip      a greeting sent one byte a second (up to 60 s)
  sjis      a whole delivery whose replies are in Shift_JIS, not UTF-8
  code4     the greeting '2500 hi' (a four-digit code)
"""
import socket
import sys
import time


def lines(conn):
    buffer = b""
    while True:
        while b"\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        yield line.rstrip(b"\r")


def endless(conn):
    line = b"220-" + b"x" * 1000 + b"\r\n"
    block = line * 64
    sent, started = 0, time.monotonic()
    while sent < 256 << 20 and time.monotonic() - started < 60:
        try:
            conn.sendall(block)
        except OSError:
            return
        sent += len(block)


def drip(conn):
    started = time.monotonic()
    for byte in b"220 " + b"x" * 100 + b"\r\n":
        if time.monotonic() - started > 60:
            return
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            return
        time.sleep(1)


def sjis(conn):
    text = lambda s: s.encode("shift_jis")
    conn.sendall(b"220 " + text("ようこそ mail.example.jp") + b"\r\n")
    in_data = False
    for line in lines(conn):
        if in_data:
            if line == b".":
                in_data = False
                conn.sendall(b"250 " + text("受け付けました") + b"\r\n")
            continue
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            conn.sendall(b"250-" + text("こんにちは") + b"\r\n250 8BITMIME\r\n")
        elif verb in (b"MAIL", b"RCPT"):
            conn.sendall(b"250 " + text("了解") + b"\r\n")
        elif verb == b"DATA":
            in_data = True
            conn.sendall(b"354 " + text("どうぞ") + b"\r\n")
        elif verb == b"QUIT":
            conn.sendall(b"221 " + text("さようなら") + b"\r\n")
            return
        else:
            conn.sendall(b"502 " + text("未実装") + b"\r\n")


def code4(conn):
    conn.sendall(b"2500 hi\r\n")
    conn.settimeout(10)
    try:
        conn.recv(4096)
    except OSError:
        pass


MODES = {"endless": endless, "drip": drip, "sjis": sjis, "code4": code4}


def main():
    mode = MODES[sys.argv[1]]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(60)
    print(listener.getsockname()[1], flush=True)
    conn, _ = listener.accept()
    conn.settimeout(60)
    with conn:
        mode(conn)


if __name__ == "__main__":
    main()
