#!/usr/bin/env python3
"""relay_client.py — Python's smtplib (and raw sockets where smtplib is too polite) against
`mail-queue relay`, for RelayTests. Prints one JSON object: the replies that matter.

Usage: relay_client.py SCENARIO PORT [options]
  submit     --user U --password P --mech PLAIN|LOGIN --from A --to B [--to C] --file EML [--starttls CA]
  noauth     EHLO then MAIL without AUTH
  cleartext  EHLO (is AUTH offered?) then AUTH PLAIN without TLS
  toolarge   --user --password --size N: a message of N octets
  rcpts      --user --password --count N: N recipients
  bare       --user --password --kind lf|cr|nul: a message with that byte
  inject     --user --password --starttls CA: AUTH and MAIL pipelined in plaintext behind STARTTLS
  overlong   a 5000-octet command line, then NOOP
  silent     read the greeting, then say nothing; print what the server says next
  connections --count N: open N sessions at once; print each greeting
  pipeline   --user --password: AUTH in cleartext (loopback), then MAIL, RCPT, a bad RCPT, RCPT
             and DATA in one write, then the message, the final dot and QUIT in another; prints
             the EHLO keywords and every reply in the order it came
  size       --user --password --size LIMIT: MAIL SIZE=LIMIT+1 (refused before DATA), MAIL
             SIZE=LIMIT (accepted, then RSET), then a message of LIMIT+1 octets with no SIZE=
  trusted    --source ADDR --from A --to B: from local address ADDR, MAIL without AUTH, then a
             message if MAIL was accepted; prints the reply to MAIL and to the final dot
  login      --user --password --starttls CA --from A --to B --file EML: smtplib's login(), which
             picks CRAM-MD5 first when offered, then the message; prints the AUTH offer and the replies
  durable    --user --password --threads N --seconds S [--stop-file F]: N clients submit one
             message after another (reconnecting whenever the relay goes away) for S seconds or
             until F exists; prints a JSON line per message as soon as its reply (or the drop)
             came: its marker, whether its 250 was seen, and the request id it named; then a
             last line {"connect_failures": N}
"""
import argparse
import threading
import uuid
import base64
import json
import os
import smtplib
import socket
import ssl
import sys
import time


def context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    return ctx


def login(s, user, password, mech):
    s.user, s.password = user, password
    if mech == "LOGIN":
        return s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    return s.auth("PLAIN", s.auth_plain)


def session(args):
    s = smtplib.SMTP("127.0.0.1", args.port, local_hostname="client.test", timeout=20)
    if args.starttls:
        if args.server_name:
            s._host = args.server_name  # the name TLS verifies (smtplib takes it from the host connected to)
        s.starttls(context=context(args.starttls))
    s.ehlo("client.test")
    if args.user:
        login(s, args.user, args.password, args.mech)
    return s


def reply(code, text):
    return {"code": code, "text": text.decode("utf-8", "replace") if isinstance(text, bytes) else text}


def raw_dialogue(port, lines, timeout=10):
    """Sends raw bytes and returns everything the server answered until it goes quiet."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    greeting = sock.recv(4096)
    out = b""
    for chunk in lines:
        sock.sendall(chunk)
        time.sleep(0.05)
    sock.settimeout(2)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            out += data
    except socket.timeout:
        pass
    sock.close()
    return greeting.decode(), out.decode("utf-8", "replace")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario")
    p.add_argument("port", type=int)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--mech", default="PLAIN")
    p.add_argument("--from", dest="sender")
    p.add_argument("--to", action="append", default=[])
    p.add_argument("--file")
    p.add_argument("--starttls")
    p.add_argument("--server-name", help="the name the server's certificate must carry (default 127.0.0.1)")
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--kind")
    p.add_argument("--source", help="trusted: the local address to connect from")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--pause", type=float, default=0, help="durable: seconds between one client's messages")
    p.add_argument("--stop-file", help="durable: the clients finish once this file exists")
    p.add_argument("--options", action="append", default=[])
    args = p.parse_args()
    result = {}

    if args.scenario == "submit":
        try:
            s = session(args)
            data = open(args.file, "rb").read()
            code, text = s.mail(args.sender, args.options)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, text, args.sender)
            for rcpt in args.to:
                s.rcpt(rcpt)
            code, text = s.data(data)
            result = reply(code, text)
            s.quit()
        except (smtplib.SMTPResponseException) as e:
            result = reply(e.smtp_code, e.smtp_error)
    elif args.scenario == "noauth":
        s = smtplib.SMTP("127.0.0.1", args.port, local_hostname="client.test", timeout=20)
        s.ehlo("client.test")
        result = reply(*s.mail("alice@example.com"))
        s.quit()
    elif args.scenario == "cleartext":
        s = smtplib.SMTP("127.0.0.1", args.port, local_hostname="client.test", timeout=20)
        s.ehlo("client.test")
        result = {"offered": s.has_extn("auth"),
                  "auth": reply(*s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0alice@example.com\0x").decode()))}
        s.quit()
    elif args.scenario == "toolarge":
        s = session(args)
        s.mail("alice@example.com")
        s.rcpt("bob@example.com")
        line = b"x" * 98 + b"\r\n"
        body = b"Subject: big\r\n\r\n" + line * (args.size // len(line) + 1)
        try:
            code, text = s.data(body)
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error
        result = reply(code, text)
        s.quit()
    elif args.scenario == "rcpts":
        s = session(args)
        s.mail("alice@example.com")
        codes = [s.rcpt("r%d@example.com" % i) for i in range(args.count)]
        result = {"replies": [reply(c, t) for c, t in codes]}
        s.rset()
        s.quit()
    elif args.scenario == "bare":
        s = session(args)
        s.mail("alice@example.com")
        s.rcpt("bob@example.com")
        code, text = s.docmd("DATA")
        assert code == 354, (code, text)
        bad = {"lf": b"one\ntwo\r\n", "cr": b"one\rtwo\r\n", "nul": b"one\0two\r\n",
               "smuggle": b"x\r\n\n.\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<eve@example.com>\r\nDATA\r\nsmuggled\r\n"}[args.kind]
        s.send(b"Subject: bare\r\n\r\n" + bad + b".\r\n")
        result = reply(*s.getreply())
        result["after"] = reply(*s.noop())
        s.quit()
    elif args.scenario == "inject":
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=10)
        f = sock.makefile("rb")
        f.readline()
        sock.sendall(b"EHLO client.test\r\n")
        while True:
            line = f.readline()
            if line[3:4] == b" ":
                break
        plain = base64.b64encode(b"\0" + args.user.encode() + b"\0" + args.password.encode())
        sock.sendall(b"STARTTLS\r\nAUTH PLAIN " + plain + b"\r\nMAIL FROM:<alice@example.com>\r\n")
        starttls = f.readline().decode().strip()
        tls = context(args.starttls).wrap_socket(sock, server_hostname="localhost")
        g = tls.makefile("rb")
        def cmd(text):
            tls.sendall(text.encode() + b"\r\n")
            lines = []
            while True:
                line = g.readline().decode().rstrip("\r\n")
                lines.append(line)
                if line[3:4] != "-":
                    return lines
        result = {"starttls": starttls, "ehlo": cmd("EHLO client.test"), "rcpt": cmd("RCPT TO:<bob@example.com>"),
                  "mail": cmd("MAIL FROM:<alice@example.com>")}
        cmd("QUIT")
    elif args.scenario == "overlong":
        greeting, out = raw_dialogue(args.port, [b"EHLO client.test\r\n", b"NOOP " + b"A" * 5000 + b"\r\n", b"NOOP\r\n", b"QUIT\r\n"])
        result = {"replies": out.splitlines()}
    elif args.scenario == "silent":
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=30)
        f = sock.makefile("rb")
        greeting = f.readline().decode().strip()
        started = time.time()
        after = f.readline().decode().strip()
        closed = f.read() == b""
        result = {"greeting": greeting, "after": after, "seconds": time.time() - started, "closed": closed}
    elif args.scenario == "connections":
        socks, greetings = [], []
        for _ in range(args.count):
            sock = socket.create_connection(("127.0.0.1", args.port), timeout=10)
            socks.append(sock)
            greetings.append(sock.makefile("rb").readline().decode().strip())
        result = {"greetings": greetings}
        for sock in socks:
            sock.close()
    elif args.scenario in ("pipeline", "size"):
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=20)
        f = sock.makefile("rb")

        def replies(count):
            """Reads `count` whole replies; each is its lines joined with '|'."""
            out = []
            for _ in range(count):
                lines = []
                while True:
                    line = f.readline().decode("utf-8", "replace").rstrip("\r\n")
                    if not line:
                        raise SystemExit("connection closed after %r" % (out + lines))
                    lines.append(line)
                    if line[3:4] != "-":
                        break
                out.append("|".join(lines))
            return out

        greeting = replies(1)
        sock.sendall(b"EHLO client.test\r\n")
        ehlo = replies(1)[0].split("|")
        keywords = [line[4:] for line in ehlo[1:]]
        plain = base64.b64encode(b"\0" + args.user.encode() + b"\0" + args.password.encode())
        sock.sendall(b"AUTH PLAIN " + plain + b"\r\n")
        auth = replies(1)
        if args.scenario == "pipeline":
            # One write, one TCP segment: the server must answer each command in order.
            sock.sendall(b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\n"
                         b"RCPT TO:<" + b"x" * 300 + b"@example.com>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\n")
            envelope = replies(5)
            sock.sendall(b"Subject: pipelined\r\n\r\n..dot\r\nbody\r\n.\r\nQUIT\r\n")
            end = replies(2)
            result = {"greeting": greeting, "keywords": keywords, "auth": auth, "envelope": envelope, "end": end}
        else:
            sock.sendall(b"MAIL FROM:<alice@example.com> SIZE=%d\r\n" % (args.size + 1))
            over = replies(1)
            sock.sendall(b"MAIL FROM:<alice@example.com> SIZE=%d\r\nRSET\r\n" % args.size)
            exact = replies(2)
            sock.sendall(b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n")
            undeclared = replies(3)
            line = b"y" * 98 + b"\r\n"
            body = b"Subject: big\r\n\r\n" + line * (args.size // len(line) + 1)
            sock.sendall(body + b".\r\n")
            after = replies(1)
            sock.sendall(b"NOOP\r\nQUIT\r\n")
            end = replies(2)
            result = {"keywords": keywords, "auth": auth, "over": over, "exact": exact, "undeclared": undeclared,
                      "bodySize": len(body), "afterData": after, "end": end}
        sock.close()
    elif args.scenario == "login":
        s = smtplib.SMTP("127.0.0.1", args.port, local_hostname="client.test", timeout=20)
        s.starttls(context=context(args.starttls))
        s.ehlo("client.test")
        result = {"offered": s.esmtp_features.get("auth", "")}
        try:
            result["login"] = reply(*s.login(args.user, args.password))
        except smtplib.SMTPAuthenticationError as e:
            result["login"] = reply(e.smtp_code, e.smtp_error)
            print(json.dumps(result))
            return
        s.mail(args.sender)
        for rcpt in args.to:
            s.rcpt(rcpt)
        result.update(reply(*s.data(open(args.file, "rb").read())))
        s.quit()
    elif args.scenario == "trusted":
        s = smtplib.SMTP("127.0.0.1", args.port, local_hostname="printer.test", timeout=20,
                         source_address=(args.source, 0))
        s.ehlo("printer.test")
        mail = s.mail(args.sender)
        result = {"mail": reply(*mail)}
        if mail[0] == 250:
            for rcpt in args.to:
                s.rcpt(rcpt)
            try:
                result["data"] = reply(*s.data(b"Subject: from a printer\r\n\r\nscan attached\r\n"))
            except smtplib.SMTPDataError as e:
                result["data"] = reply(e.smtp_code, e.smtp_error)
        s.quit()
    elif args.scenario == "durable":
        lock = threading.Lock()
        deadline = time.time() + args.seconds
        stats = {"connect_failures": 0}

        def going():
            return time.time() < deadline and not (args.stop_file and os.path.exists(args.stop_file))

        def client(number):
            s = None
            while going():
                if s is None:
                    try:
                        s = smtplib.SMTP("127.0.0.1", args.port, local_hostname="client.test", timeout=10)
                        s.ehlo("client.test")
                        login(s, args.user, args.password, "PLAIN")
                    except Exception:
                        with lock:
                            stats["connect_failures"] += 1
                        s = None
                        time.sleep(0.05)
                        continue
                marker = "durable-%d-%s" % (number, uuid.uuid4())
                entry = {"marker": marker, "acked": False, "id": None}
                try:
                    s.mail(args.user)
                    s.rcpt("bob@example.com")
                    code, text = s.data(("Subject: %s\r\n\r\n%s\r\n" % (marker, "x" * 900)).encode())
                    if code == 250:
                        entry["acked"] = True
                        entry["id"] = text.decode().split()[-1]
                except Exception:
                    try:
                        s.close()
                    except Exception:
                        pass
                    s = None
                with lock:
                    # One line a message, at once: the test counts the 250s while the clients run.
                    print(json.dumps(entry), flush=True)
                time.sleep(args.pause)
            if s is not None:
                try:
                    s.quit()
                except Exception:
                    pass

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        result = {"connect_failures": stats["connect_failures"]}
    else:
        p.error("unknown scenario")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
