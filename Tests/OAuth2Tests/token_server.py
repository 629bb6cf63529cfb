#!/usr/bin/env python3
"""A local stand-in for the Microsoft identity platform v2.0 token endpoints, over TLS.

Usage: token_server.py CERT KEY [CLIENT_CERT] [--jwt]
Listens on 127.0.0.1, port chosen by the system, prints "PORT <n>" on stdout, and serves
until killed. It speaks the real request and response shapes:

  POST /{tenant}/oauth2/v2.0/token       (form-encoded; JSON back)
  POST /{tenant}/oauth2/v2.0/devicecode  (form-encoded; JSON back)
  GET  /requests                         (what was received, for the tests' assertions)
  GET  /introspect?token=T               {"active": true} for an access token issued here
                                         (what an SMTP peer asks to accept XOAUTH2)

Behaviour, chosen by the request's own fields:
  tenant "nosuchtenant"                    -> 400 invalid_request AADSTS90002
  tenant "noconsent"                       -> 400 invalid_grant AADSTS65001
  client_id not "app-id" / "device-app-*"  -> 400 unauthorized_client AADSTS700016
  client_credentials, secret "right-secret" -> 200 access token "at-N" (expires_in 3599)
  client_credentials, other secret          -> 401 invalid_client AADSTS7000215
  client_credentials, client_assertion      -> verified (RS256, aud, iss/sub) with CLIENT_CERT
  refresh_token: only the latest issued one is valid; each use rotates it (rt-N)
                                            else 400 invalid_grant AADSTS70008
  device code: client_id "device-app-pending" -> 2 x authorization_pending, then tokens
               client_id "device-app-slow"    -> slow_down, authorization_pending, then tokens
               client_id "device-app-expired" -> authorization_pending, then expired_token
With --jwt, access tokens are JWTs signed RS256 with KEY (verify with CERT's public key), with
the claims the identity platform puts in v1 tokens for Exchange Online:
  aud   the scope's resource (https://outlook.office365.com/.default -> https://outlook.office365.com,
        https://graph.microsoft.com/.default -> https://graph.microsoft.com; the Graph scope is
        then also accepted by client_credentials, as the real platform does)
  tid   the tenant in the path when it is a GUID, else a fixed GUID per domain
  app-only (client_credentials): appid, idtyp "app", oid (the service principal), roles
  delegated (refresh, device code): appid, scp (the scope's names), upn, oid (the user)
Clients that change one claim, to test the checks (each takes the secret "right-secret"):
  app-id              roles [SMTP.SendAsApp]               (everything right)
  app-no-smtp-role    roles [Mail.Send]
  app-other-tenant    tid of another tenant
  app-expired         exp 10 minutes in the past
  app-appid-mismatch  appid of another application
"""
import base64
import hashlib
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

LOCK = threading.Lock()
STATE = {"counter": 0, "refresh": {"rt-initial"}, "polls": {}, "requests": [], "issued": set()}
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
JWT_MODE = "--jwt" in sys.argv
CLIENT_CERT = ARGS[2] if len(ARGS) > 2 else None
SIGNING_KEY = None

APP_CLIENTS = {
    "app-id": {},
    "app-no-smtp-role": {"roles": ["Mail.Send"]},
    "app-other-tenant": {"tid": "99999999-9999-4999-8999-999999999999"},
    "app-expired": {"exp": -600},
    "app-appid-mismatch": {"appid": "00000000-dead-4bee-8f00-000000000000"},
}
SERVICE_PRINCIPAL_OID = "5ee0b6a1-0c5d-4f3e-9a7b-3c2d1e0f9a8b"
USER_OID = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
TENANT_IDS = {"contoso.onmicrosoft.com": "11111111-2222-4333-8444-555555555555"}


def is_guid(text):
    parts = text.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(c in "0123456789abcdefABCDEF" for c in "".join(parts))


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_jwt(claims):
    global SIGNING_KEY
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    if SIGNING_KEY is None:
        with open(ARGS[1], "rb") as f:
            SIGNING_KEY = serialization.load_pem_private_key(f.read(), password=None)
    header = b64url(json.dumps({"typ": "JWT", "alg": "RS256", "kid": "test-pki"}).encode())
    body = b64url(json.dumps(claims).encode())
    signature = SIGNING_KEY.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{b64url(signature)}"


def resource_and_names(scope):
    """https://outlook.office.com/SMTP.Send offline_access -> (https://outlook.office.com, [SMTP.Send])."""
    resource, names = None, []
    for item in scope.split():
        if "://" not in item:
            continue
        base, _, name = item.rpartition("/")
        resource = resource or base
        if name != ".default":
            names.append(name)
    return resource, names


def jwt_for(tenant, client_id, scope, delegated):
    now = int(time.time())
    client = {} if delegated else APP_CLIENTS.get(client_id, {})
    tid = client.get("tid") or (tenant if is_guid(tenant) else TENANT_IDS.get(tenant, "22222222-3333-4444-8555-666666666666"))
    resource, names = resource_and_names(scope)
    claims = {
        "aud": resource, "iss": f"https://sts.windows.net/{tid}/", "iat": now, "nbf": now,
        "exp": now + client.get("exp", 3599), "appid": client.get("appid", client_id), "appidacr": "1",
        "tid": tid, "ver": "1.0",
    }
    if delegated:
        claims.update({"scp": " ".join(names), "upn": "sender@contoso.com", "unique_name": "sender@contoso.com",
                       "oid": USER_OID, "sub": "user-subject"})
    else:
        claims.update({"idtyp": "app", "oid": SERVICE_PRINCIPAL_OID, "sub": SERVICE_PRINCIPAL_OID,
                       "roles": client.get("roles", ["SMTP.SendAsApp"])})
    return sign_jwt(claims)


def next_id():
    STATE["counter"] += 1
    return STATE["counter"]


def aad_error(status, error, code, text):
    now = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {text}\r\nTrace ID: 00000000-0000-0000-0000-000000000000\r\n"
        f"Correlation ID: 11111111-1111-1111-1111-111111111111\r\nTimestamp: {now}",
        "error_codes": [code],
        "timestamp": now,
        "trace_id": "00000000-0000-0000-0000-000000000000",
        "correlation_id": "11111111-1111-1111-1111-111111111111",
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return status, body


def issue(scope, with_refresh, tenant="", client_id=""):
    n = next_id()
    token = jwt_for(tenant, client_id, scope, with_refresh) if JWT_MODE else f"at-{n}"
    body = {"token_type": "Bearer", "scope": scope, "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
    STATE["issued"].add(token)
    if with_refresh:
        rt = f"rt-{n}"
        STATE["refresh"] = {rt}
        body["refresh_token"] = rt
    return 200, body


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_assertion(assertion, client_id, audience):
    if not CLIENT_CERT:
        return False
    try:
        header_b64, claims_b64, signature_b64 = assertion.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        if header.get("alg") != "RS256" or claims.get("aud") != audience:
            return False
        if claims.get("iss") != client_id or claims.get("sub") != client_id or not claims.get("jti"):
            return False
        if not (claims["nbf"] <= time.time() + 60 <= claims["exp"] + 660):
            return False
        der = subprocess.run(["openssl", "x509", "-in", CLIENT_CERT, "-outform", "DER"], capture_output=True, check=True).stdout
        if header.get("x5t") != base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("="):
            return False
        with tempfile.TemporaryDirectory() as tmp:
            pub = os.path.join(tmp, "pub.pem")
            sig = os.path.join(tmp, "sig")
            data = os.path.join(tmp, "data")
            with open(pub, "wb") as f:
                f.write(subprocess.run(["openssl", "x509", "-in", CLIENT_CERT, "-pubkey", "-noout"], capture_output=True, check=True).stdout)
            with open(sig, "wb") as f:
                f.write(b64url_decode(signature_b64))
            with open(data, "wb") as f:
                f.write(f"{header_b64}.{claims_b64}".encode())
            result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, data], capture_output=True)
            return result.returncode == 0
    except Exception:
        return False


def token(tenant, form, audience):
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "")
    scope = form.get("scope", "")
    if grant == "client_credentials":
        if client_id != "app-id" and not (JWT_MODE and client_id in APP_CLIENTS):
            return aad_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.")
        if "client_assertion" in form:
            if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" or not verify_assertion(form["client_assertion"], client_id, audience):
                return aad_error(401, "invalid_client", 700027, "Client assertion contains an invalid signature.")
            return issue(scope, False, tenant, client_id)
        if form.get("client_secret") != "right-secret":
            return aad_error(401, "invalid_client", 7000215, f"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'.")
        if scope != "https://outlook.office365.com/.default" and not (JWT_MODE and scope == "https://graph.microsoft.com/.default"):
            return aad_error(400, "invalid_scope", 70011, f"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.")
        return issue(scope, False, tenant, client_id)
    if grant == "refresh_token":
        if form.get("refresh_token") not in STATE["refresh"]:
            return aad_error(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity.")
        return issue(scope, True, tenant, client_id)
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        code = form.get("device_code", "")
        polls = STATE["polls"].get(code, 0) + 1
        STATE["polls"][code] = polls
        script = {
            "dc-pending": ["authorization_pending", "authorization_pending", "ok"],
            "dc-slow": ["slow_down", "authorization_pending", "ok"],
            "dc-expired": ["authorization_pending", "expired_token"],
        }.get(code)
        if script is None:
            return aad_error(400, "invalid_grant", 70000, "The provided value for the 'device_code' is not valid.")
        step = script[min(polls, len(script)) - 1]
        if step == "authorization_pending":
            return aad_error(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
        if step == "slow_down":
            return 400, {"error": "slow_down", "error_description": "Polling too fast."}
        if step == "expired_token":
            return aad_error(400, "expired_token", 70019, "Verification code expired.")
        return issue("https://outlook.office.com/SMTP.Send", True, tenant, client_id)
    return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")


def device_code(form):
    client_id = form.get("client_id", "")
    code = {"device-app-pending": "dc-pending", "device-app-slow": "dc-slow", "device-app-expired": "dc-expired"}.get(client_id)
    if code is None:
        return aad_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not found.")
    return 200, {
        "user_code": "ABCD-EFGH",
        "device_code": code,
        "verification_uri": "https://microsoft.com/devicelogin",
        "expires_in": 60,
        "interval": 5,
        "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.",
    }


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/requests":
            with LOCK:
                return self.reply(200, STATE["requests"])
        if self.path.startswith("/introspect?"):
            token = parse_qs(self.path.split("?", 1)[1]).get("token", [""])[0]
            with LOCK:
                return self.reply(200, {"active": token in STATE["issued"]})
        self.reply(404, {"error": "not_found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        parts = self.path.strip("/").split("/")
        with LOCK:
            STATE["requests"].append({"path": self.path, "form": form, "contentType": self.headers.get("Content-Type", "")})
            if len(parts) != 4 or parts[1:3] != ["oauth2", "v2.0"]:
                return self.reply(404, {"error": "not_found"})
            tenant = parts[0]
            if tenant == "nosuchtenant":
                return self.reply(*aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."))
            if tenant == "noconsent":
                return self.reply(*aad_error(400, "invalid_grant", 65001, "The user or administrator has not consented to use the application."))
            host = self.headers.get("Host", "")
            if parts[3] == "token":
                return self.reply(*token(tenant, form, f"https://{host}{self.path}"))
            if parts[3] == "devicecode":
                return self.reply(*device_code(form))
            self.reply(404, {"error": "not_found"})


def exit_when_parent_goes():
    """The tests hold our stdin open; EOF means they ended (even if killed): stop too."""
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    # An inherited "ignore SIGTERM" (some job runners set it) must not keep us alive.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ARGS[0], ARGS[1])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
