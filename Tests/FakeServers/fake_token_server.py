"""Deliberately fake token servers for TokenBench's tests (Python's standard library only).

Two personalities, chosen by --mode:

  refusing  A well-behaved server that is not an OAuth server: it rotates refresh tokens and
            revokes the family on reuse, but refuses bad access tokens at the resource with
            422 {"detail": ...} (as FastAPI or Flask apps do) and bad refresh tokens with
            401 {"detail": ...}. "Refused is refused": TokenBench must count every such answer
            as a refusal, never as an accepted token or a lost request.
  keeping   The pattern TokenBench started from: a refresh answers a new access token only
            ({"access_token", "expires_in"}); the refresh token stays valid until logout
            (RFC 6749 §6 lets a server keep it).
  sometimes Rotates on every other refresh and keeps the refresh token on the others: a server
            that rotates only sometimes, reported with the counts.
  hostile   A DELIBERATELY HOSTILE fake server: its token answers cycle through absurd and
            broken shapes (a 20 KiB token, expires_in 1e19, malformed JSON, a JSON array,
            a 5 MiB body, two responses to one request, a wrong Content-Length). Nothing it
            sends may crash TokenBench or grow its memory without bound.

Discovery documents, for `--issuer` (in every mode), chosen by the issuer's path: /rfc8414 has
RFC 8414 metadata (and no OpenID Connect one) naming /login as the token endpoint; /missing has
none; /malformed, /wrong-issuer, /elsewhere (a token endpoint on another server), /no-token and
/huge (5 MiB) are DELIBERATELY BROKEN documents.

Accounts user0 … user999, passwords pw-0 … pw-999. Endpoints (JSON bodies): POST /login
{"username","password"}; POST /refresh
{"refresh_token"}; GET /me with "Authorization: Bearer <access token>" (GET /me-redirect refuses
with 302 to /login and {"problem": {"code": "token_rejected"}} instead of 422); POST /logout
{"refresh_token"}. Prints "listening on PORT" once ready.
"""
import argparse
import json
import secrets
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
ACCESS = {}     # access token -> (family, expires at)
CURRENT = {}    # family -> current refresh token
SPENT = {}      # spent refresh token -> family
REVOKED = set()
COUNTER = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "refusing"
    ttl = 2
    giant_every = 8

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            value = json.loads(raw or b"{}")
            return value if isinstance(value, dict) else {}
        except ValueError:
            return {}

    def send(self, status, payload, extra=b""):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data + extra)

    def issue(self, family):
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        ACCESS[access] = (family, time.time() + self.ttl)
        CURRENT[family] = refresh
        return {"access_token": access, "refresh_token": refresh, "expires_in": self.ttl, "token_type": "Bearer"}

    def hostile_answer(self, tokens):
        """The next broken shape of a token answer."""
        with LOCK:
            COUNTER[0] += 1
            n = COUNTER[0]
        # The first answers are sound, so that a run gets past its preflight into the load.
        k = 0 if n <= 4 else n % 8
        if k == 1:
            return self.send(200, dict(tokens, access_token="A" * 20_000))
        if k == 2:
            return self.send(200, dict(tokens, expires_in=1e19))
        if k == 3:
            return self.send(200, b'{"access_token": "x", "refresh_token": ')
        if k == 4:
            return self.send(200, b'[1, 2, 3]')
        if k == 5 and n % self.giant_every == 5:
            return self.send(200, json.dumps(dict(tokens, padding="P" * 5_000_000)).encode())
        if k == 6:
            # Two responses to one request: the second one answers nothing the client asked.
            second = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            return self.send(200, tokens, extra=second)
        if k == 7:
            data = json.dumps(tokens).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data) + 50))
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            return None
        return self.send(200, tokens)

    def do_POST(self):
        b = self.body()
        if self.path == "/login":
            # Accounts user0 … user999 with passwords pw-0 … pw-999, as `tokenbench serve --users 1000`.
            name, password = str(b.get("username", "")), str(b.get("password", ""))
            number = name[4:] if name.startswith("user") else ""
            if not (number.isdigit() and int(number) < 1000 and password == f"pw-{number}"):
                return self.send(401, {"detail": "No active account found with the given credentials"})
            with LOCK:
                tokens = self.issue(secrets.token_hex(8))
            return self.hostile_answer(tokens) if self.mode == "hostile" else self.send(200, tokens)
        keeps = self.mode == "keeping"
        if self.mode == "sometimes":
            with LOCK:
                COUNTER[0] += 1
                keeps = COUNTER[0] % 2 == 0
        if self.path == "/refresh" and keeps:
            token = str(b.get("refresh_token", ""))
            with LOCK:
                family = next((f for f, t in CURRENT.items() if t == token), None)
                if family is None or family in REVOKED:
                    return self.send(401, {"detail": "Token is invalid or expired"})
                access = secrets.token_urlsafe(24)
                ACCESS[access] = (family, time.time() + self.ttl)
            return self.send(200, {"access_token": access, "expires_in": self.ttl, "token_type": "Bearer"})
        if self.path == "/refresh":
            token = str(b.get("refresh_token", ""))
            with LOCK:
                family = next((f for f, t in CURRENT.items() if t == token), None)
                if family is None or family in REVOKED:
                    spent = SPENT.get(token)
                    if spent is not None:
                        REVOKED.add(spent)  # reuse detection: the whole family goes
                    return self.send(401, {"detail": "Token is invalid or expired"})
                SPENT[token] = family
                tokens = self.issue(family)
            return self.hostile_answer(tokens) if self.mode == "hostile" else self.send(200, tokens)
        if self.path == "/logout":
            token = str(b.get("refresh_token", ""))
            with LOCK:
                for f, t in CURRENT.items():
                    if t == token:
                        REVOKED.add(f)
            return self.send(200, {})
        return self.send(404, {"detail": "Not Found"})

    def discovery(self):
        """The metadata documents of the issuers http://127.0.0.1:PORT/NAME."""
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        oidc, rfc8414 = "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/"
        if self.path.startswith(rfc8414):
            name = self.path[len(rfc8414):]
        elif self.path.endswith(oidc):
            name = self.path[1:-len(oidc)]
        else:
            return False
        issuer = f"{base}/{name}"
        good = {"issuer": issuer, "token_endpoint": f"{base}/login", "revocation_endpoint": f"{base}/logout",
                "jwks_uri": f"{base}/jwks", "token_endpoint_auth_methods_supported": ["none"]}
        if name == "rfc8414" and self.path.startswith(rfc8414):
            self.send(200, good)
        elif name == "malformed":
            self.send(200, b'{"issuer": "' + issuer.encode() + b'", "token_endpoint": ')
        elif name == "wrong-issuer":
            self.send(200, dict(good, issuer="https://auth.example.com"))
        elif name == "elsewhere":
            self.send(200, dict(good, token_endpoint="https://auth.example.com/token"))
        elif name == "no-token":
            self.send(200, {k: v for k, v in good.items() if k != "token_endpoint"})
        elif name == "huge":
            self.send(200, json.dumps(dict(good, padding="P" * 5_000_000)).encode())
        else:
            self.send(404, {"detail": "Not Found"})
        return True

    def do_GET(self):
        if self.discovery():
            return None
        if self.path not in ("/me", "/me-redirect"):
            return self.send(404, {"detail": "Not Found"})
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with LOCK:
            entry = ACCESS.get(token)
            ok = entry is not None and entry[1] > time.time() and entry[0] not in REVOKED
        if ok:
            return self.send(200, {"sub": "someone"})
        if self.path == "/me-redirect":
            # As a login-protected page refuses: a redirect to the login page, the reason nested.
            data = json.dumps({"problem": {"code": "token_rejected"}}).encode()
            self.send_response(302)
            self.send_header("Location", "/login")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        return self.send(422, {"detail": "Signature verification failed"})


def main():
    # Unblock the signals the Swift test runner's mask blocks, so that SIGTERM stops this server.
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["refusing", "keeping", "sometimes", "hostile"], default="refusing")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ttl", type=int, default=2)
    # hostile: the 5 MiB body is the answer to every N-th token request (N ≥ 8; 8: one shape in
    # eight); a long run takes a larger N so that it measures answers, not loopback copies.
    parser.add_argument("--giant-every", type=int, default=8)
    args = parser.parse_args()
    Handler.mode = args.mode
    Handler.ttl = args.ttl
    Handler.giant_every = max(8, args.giant_every)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
