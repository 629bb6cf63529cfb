#!/usr/bin/env python3
"""aiosmtpd_peer.py — an aiosmtpd SMTP peer for the tests, on 127.0.0.1 only.

Modes:
  plain     no TLS, no AUTH: a sink that accepts every message.
  starttls  STARTTLS required before anything but EHLO/NOOP/QUIT (530 otherwise),
            AUTH PLAIN/LOGIN only after TLS (538 otherwise), 535 on bad credentials.
  smtps     implicit TLS from the first byte (RFC 8314), AUTH PLAIN/LOGIN.
  xoauth2   like starttls, but AUTH XOAUTH2 only (Office365's shape). The bearer token is taken
            when --token-introspect (a token endpoint's GET URL?token=T, answering
            {"active": true}, checked over TLS against --token-ca) says it issued it and the
            user is --user; or, with --token-issuer CERT, when it is a JWT signed (RS256) by
            CERT's key for the audience https://outlook.office365.com (or outlook.office.com),
            not expired, with the role SMTP.SendAsApp (app-only) or the scope SMTP.Send
            (delegated, user= its upn). Anything else is answered as Exchange Online does:
            535 5.7.3 Authentication unsuccessful.

--auth-required (starttls, smtps): MAIL before AUTH is answered 530 5.7.0 (aiosmtpd's
auth_required), as a submission server that requires authentication does.

Each accepted message is written atomically to MAILDIR as NNNNNN.eml (the DATA
bytes exactly as received after dot-unstuffing, CRLF line ends) plus NNNNNN.json
(envelope: mail_from, rcpt_tos, options, peer, tls, authenticated user).

A recipient at refused.example.test, or whose local part begins with "refused-", is refused at
RCPT with 550 5.1.1 (as Postfix refuses an unknown user), in every mode: a permanent failure
upstream for the tests of bounces.

--connections-file FILE: after each connection opens or closes, FILE holds (written atomically)
{"active": n, "peak": n, "total": n}: connections open now, the most open at once, and all so
far, counted by the server (the tests of a sender's connection limit read it).

The listener binds port 0 (or --port) and writes the chosen port to --port-file
once it is listening, so the caller never races for a port. SIGTERM/SIGINT stop it.
"""
import argparse
import asyncio
import collections
import itertools
import json
import logging
import os
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class MaildirHandler:
    def __init__(self, maildir):
        self.maildir = maildir
        os.makedirs(maildir, exist_ok=True)
        self.counter = itertools.count(1)

    REFUSED_DOMAIN = "@refused.example.test"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith(self.REFUSED_DOMAIN) or address.lower().startswith("refused-"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown in local recipient table" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        base = os.path.join(self.maildir, "%06d" % n)
        raw = envelope.original_content or b""
        login = None
        if isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "rcpt_options": envelope.rcpt_options,
            "peer": list(session.peer) if session.peer else None,
            "helo": session.host_name,
            "tls": session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            "authenticated": bool(session.authenticated),
            "login": login,
            "size": len(raw),
            "received_at": time.time(),
        }
        # Write to temporary names, then rename: a reader never sees half a message.
        # The .json is renamed last, so its presence means the .eml is complete.
        with open(base + ".eml.tmp", "wb") as f:
            f.write(raw)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f, indent=2)
        os.rename(base + ".json.tmp", base + ".json")
        logging.getLogger("peer").info("stored %s from %s to %s", base, envelope.mail_from, envelope.rcpt_tos)
        return "250 2.0.0 OK stored as %06d" % n


class XOAuth2Handler(MaildirHandler):
    """MaildirHandler that also takes AUTH XOAUTH2 (aiosmtpd calls auth_<MECHANISM>)."""

    REFUSAL = "535 5.7.3 Authentication unsuccessful [AM0PR02CA0001.eurprd02.prod.outlook.com]"
    AUDIENCES = ("https://outlook.office365.com", "https://outlook.office.com", "00000002-0000-0ff1-ce00-000000000000")

    def __init__(self, maildir, user, introspect=None, ca=None, issuer_cert=None):
        super().__init__(maildir)
        self.user = user
        self.introspect = introspect
        self.ca = ca
        self.public_key = None
        if issuer_cert:
            from cryptography import x509
            with open(issuer_cert, "rb") as f:
                self.public_key = x509.load_pem_x509_certificate(f.read()).public_key()

    def jwt_valid(self, user, token):
        """An Exchange Online token from the test identity platform (token_server.py --jwt)."""
        import base64
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        def decode(part):
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        try:
            header, body, signature = token.split(".")
            if json.loads(decode(header)).get("alg") != "RS256":
                return False
            self.public_key.verify(decode(signature), f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
            claims = json.loads(decode(body))
        except Exception:
            return False
        if claims.get("aud", "").rstrip("/") not in self.AUDIENCES or claims.get("exp", 0) <= time.time():
            return False
        if "roles" in claims:
            return "SMTP.SendAsApp" in claims["roles"]
        return "SMTP.Send" in claims.get("scp", "").split() and claims.get("upn", "").lower() == user.lower()

    def token_active(self, token):
        import urllib.parse
        import urllib.request
        context = ssl.create_default_context(cafile=self.ca)
        url = self.introspect + "?token=" + urllib.parse.quote(token)
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            return json.loads(response.read()).get("active") is True

    async def auth_XOAUTH2(self, server, args):
        import base64
        # args: ["XOAUTH2", initial-response]; the queue's sender always sends the initial response.
        if len(args) < 2:
            return AuthResult(success=False, handled=False)
        blob = args[1]
        try:
            text = base64.b64decode(blob).decode()
            fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
            user, bearer = fields.get("user", ""), fields.get("auth", "")
            token = bearer[len("Bearer "):] if bearer.startswith("Bearer ") else ""
            if self.public_key is not None:
                ok = token != "" and self.jwt_valid(user, token)
            else:
                ok = user == self.user and token != "" and await asyncio.get_running_loop().run_in_executor(None, self.token_active, token)
        except Exception as e:  # a malformed blob or an unreachable endpoint: refused
            logging.getLogger("peer").warning("XOAUTH2 refused: %s", e)
            ok = False
        if not ok:
            return AuthResult(success=False, handled=False, message=self.REFUSAL)
        return AuthResult(success=True, handled=False, auth_data=LoginPassword(user.encode(), b"xoauth2"))


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class LongLineSMTP(SMTP):
    """A JWT in an AUTH line is well over RFC 5321's 512 octets; Exchange takes such lines."""
    command_size_limit = 16384
    line_length_limit = 16384
    command_size_limits = collections.defaultdict(lambda: LongLineSMTP.command_size_limit)


class ConnectionCounter:
    """Counts the connections a server has open, at most and in all, into a JSON file."""

    def __init__(self, path):
        self.path = path
        self.active = self.peak = self.total = 0

    def opened(self):
        self.active += 1
        self.total += 1
        self.peak = max(self.peak, self.active)
        self.write()

    def closed(self):
        self.active -= 1
        self.write()

    def write(self):
        if not self.path:
            return
        with open(self.path + ".tmp", "w") as f:
            json.dump({"active": self.active, "peak": self.peak, "total": self.total}, f)
        os.rename(self.path + ".tmp", self.path)


def counted(base, counter):
    """A subclass of the SMTP class `base` that tells `counter` of each connection."""
    class Counted(base):
        # STARTTLS hands the same session to connection_made again (with the TLS transport):
        # counted once per TCP connection.
        def connection_made(self, transport):
            if not getattr(self, "_counted", False):
                self._counted = True
                counter.opened()
            super().connection_made(transport)

        def connection_lost(self, error):
            if getattr(self, "_counted", False) and not getattr(self, "_uncounted", False):
                self._uncounted = True
                counter.closed()
            super().connection_lost(error)
    return Counted


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=["plain", "starttls", "smtps", "xoauth2"], default="plain")
    p.add_argument("--token-introspect", help="xoauth2: the token endpoint's introspection URL")
    p.add_argument("--token-ca", help="xoauth2: the CA that signed the token endpoint's certificate")
    p.add_argument("--token-issuer", help="xoauth2: instead, the certificate whose key signs the tokens (JWTs)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", help="write the bound port here once listening")
    p.add_argument("--maildir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user", default="alice")
    p.add_argument("--password", default="wonderland")
    p.add_argument("--auth-required", action="store_true", help="answer MAIL before AUTH with 530 5.7.0")
    p.add_argument("--hostname", default="aiosmtpd.example.test", help="name in the greeting and EHLO reply")
    p.add_argument("--connections-file", help="keep the connection counts here (JSON: active, peak, total)")
    args = p.parse_args()

    if args.host not in ("127.0.0.1", "::1", "localhost"):
        p.error("refusing to listen on anything but loopback")

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")

    if args.mode == "xoauth2":
        if not (args.token_issuer or (args.token_introspect and args.token_ca)):
            p.error("mode xoauth2 needs --token-issuer, or --token-introspect and --token-ca")
        handler = XOAuth2Handler(args.maildir, args.user, args.token_introspect, args.token_ca, args.token_issuer)
    else:
        handler = MaildirHandler(args.maildir)
    kwargs = dict(hostname=args.hostname, data_size_limit=64 * 1024 * 1024)
    server_ssl = None
    if args.mode != "plain":
        if not (args.cert and args.key):
            p.error("--cert and --key are required for mode %s" % args.mode)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        kwargs["authenticator"] = Authenticator(args.user, args.password)
        kwargs["auth_required"] = args.auth_required
        if args.mode in ("starttls", "xoauth2"):
            kwargs.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
            if args.mode == "xoauth2":
                # Office365's shape: AUTH LOGIN XOAUTH2 offered, only tokens taken (a password fails).
                kwargs["auth_exclude_mechanism"] = ["PLAIN"]
                kwargs["authenticator"] = lambda *a: AuthResult(success=False, handled=False)
        else:
            # Implicit TLS: the whole connection is encrypted, but aiosmtpd only
            # counts STARTTLS as TLS for auth_require_tls, so it is turned off here.
            server_ssl = ctx
            kwargs.update(auth_require_tls=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    smtp_class = counted(LongLineSMTP if args.mode == "xoauth2" else SMTP, ConnectionCounter(args.connections_file))
    server = loop.run_until_complete(
        loop.create_server(lambda: smtp_class(handler, loop=loop, **kwargs),
                           host=args.host, port=args.port, ssl=server_ssl))
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    logging.getLogger("peer").info("mode %s listening on %s:%d", args.mode, args.host, port)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


if __name__ == "__main__":
    main()
