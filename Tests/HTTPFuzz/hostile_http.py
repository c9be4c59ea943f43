#!/usr/bin/env python3
"""Hostile HTTP/1.1 against `tokenbench serve`. Python's standard library only.

Sends random and mutated requests over raw sockets: bodies (form, JSON, bit flips, insertions,
truncation), headers (duplicated or bad Content-Length, chunked framing with bad sizes and
extensions, CL with TE, oversized lines and headers, control bytes, obs-fold), methods, paths
and versions, pipelined batches, bodies cut short, and slow senders that dribble their bytes.

Every token it sends is invalid by construction: a sentinel's real tokens are changed in a
middle character (which changes the decoded bytes, so no MAC or signature holds), or made up;
logins use passwords no user has. So every request must be refused or be read-only, and the
store must be what it was: the caller checks that (sentinel sessions still refresh, the
server's event counters unchanged, for PostgreSQL the table unchanged).

Before and after, it logs in the sentinels (before) and refreshes each once (after, with
--check-sentinels FILE written by the first phase).

Prints one JSON object: requests, responses by status, connections closed without an answer,
5xx answers (with up to 5 samples), and per-category counts. Exit 0 when no 5xx was seen and
the server answered /healthz at the end; 1 otherwise; 2 for bad arguments.

  hostile_http.py --url http://127.0.0.1:8080 --sentinels 10 --sentinel-file /tmp/s.json --requests 0   # log in
  hostile_http.py --url … --sentinel-file /tmp/s.json --requests 100000 --seed 1 --admin  # the hostile phase
  hostile_http.py --url … --check-sentinels /tmp/s.json   # afterwards: every sentinel refreshes
"""
import argparse
import json
import random
import socket
import sys
import threading
import time
import urllib.parse

B64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def parse_url(url):
    u = urllib.parse.urlparse(url)
    if u.scheme != "http" or not u.hostname or not u.port:
        raise SystemExit("hostile_http: --url must be http://HOST:PORT")
    return u.hostname, u.port


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


def read_responses(sock, expected, timeout):
    """Reads up to `expected` HTTP/1.1 responses; stops early on close or timeout."""
    sock.settimeout(timeout)
    f = sock.makefile("rb")
    out = []
    try:
        while len(out) < expected:
            line = f.readline(65536)
            if not line:
                break
            parts = line.split(b" ", 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
                out.append(Response(-1, {}, line))  # not HTTP: counted as garbage
                break
            status = int(parts[1])
            headers = {}
            while True:
                h = f.readline(65536)
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.partition(b":")
                headers[name.strip().lower()] = value.strip()
            if 100 <= status < 200:
                continue
            body = b""
            if b"content-length" in headers:
                n = int(headers[b"content-length"])
                body = f.read(n)
            elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                while True:
                    size = int(f.readline(1024).split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        f.readline(1024)
                        break
                    body += f.read(size)
                    f.readline(1024)
            out.append(Response(status, headers, body))
            if headers.get(b"connection", b"").lower() == b"close":
                break
    except (socket.timeout, ConnectionError, ValueError, OSError):
        pass
    finally:
        f.close()
    return out


def exchange(host, port, payload, expected=1, timeout=5.0, half_close=False, dribble=None):
    """Sends `payload` on a new connection and reads the answers."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if dribble:
            step, pause = dribble
            for i in range(0, len(payload), step):
                sock.sendall(payload[i:i + step])
                time.sleep(pause)
        else:
            sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_responses(sock, expected, timeout)
    except OSError:
        return []
    finally:
        sock.close()


def request(method, path, headers, body=b"", version=b"HTTP/1.1"):
    lines = [method + b" " + path + b" " + version]
    lines += [k + b": " + v for k, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def form_request(path, form, extra=()):
    body = form if isinstance(form, bytes) else form.encode()
    return request(b"POST", path, [(b"Host", b"localhost"), (b"Content-Type", b"application/x-www-form-urlencoded"),
                                   (b"Content-Length", str(len(body)).encode())] + list(extra), body)


def spoil(token, rng):
    """A token changed in a middle character (and maybe more): never valid."""
    t = bytearray(token.encode() if isinstance(token, str) else token)
    if not t:
        return b"x"
    i = len(t) // 4 + rng.randrange(max(1, len(t) // 2))
    i = min(i, len(t) - 1)
    c = t[i]
    choices = [x for x in B64URL if x != c]
    t[i] = rng.choice(choices)
    for _ in range(rng.randrange(3)):
        op = rng.randrange(4)
        j = rng.randrange(len(t))
        if op == 0:
            t[j] = rng.randrange(256)
        elif op == 1:
            t.insert(j, rng.choice(b".=%+/ \x00\xff"))
        elif op == 2 and len(t) > 10:
            del t[j]
        else:
            t = t + t[: rng.randrange(len(t))]
    # The middle change stays: a deletion or insertion after it only shifts bytes further.
    return bytes(t)


def random_token(rng):
    n = rng.choice([0, 1, 75, 76, 77, 120, 300, 9000])
    return bytes(rng.choice(B64URL + b".") for _ in range(n))


def mutate(data, rng):
    """libFuzzer-style byte mutations."""
    d = bytearray(data)
    for _ in range(1 + rng.randrange(4)):
        if not d:
            d.extend(rng.randbytes(rng.randrange(1, 8)))
            continue
        op = rng.randrange(7)
        i = rng.randrange(len(d))
        if op == 0:
            d[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            d[i] = rng.randrange(256)
        elif op == 2:
            d[i:i] = rng.randbytes(rng.randrange(1, 16))
        elif op == 3:
            del d[i:i + rng.randrange(1, 16)]
        elif op == 4:
            d[i:i] = rng.choice([b"\r\n", b"\n", b"\r", b"\x00", b"%", b"%zz", b"&", b"=", b"\"", b"{", b"}", b"\\u0000", b"\xff\xfe"])
        elif op == 5:
            j = rng.randrange(len(d))
            d[i:i] = d[j:j + rng.randrange(1, 32)]
        else:
            del d[i:]
    return bytes(d)


class Hostile:
    def __init__(self, host, port, rng, sentinels, admin):
        self.host, self.port, self.rng, self.admin = host, port, rng, admin
        self.refresh = [s["refresh_token"] for s in sentinels] or ["A" * 76]
        self.access = [s["access_token"] for s in sentinels] or ["e30.e30.sig"]

    def token_body(self):
        r = self.rng
        kind = r.randrange(6)
        if kind == 0:
            return "grant_type=refresh_token&refresh_token=" + urllib.parse.quote(spoil(r.choice(self.refresh), r))
        if kind == 1:
            return "grant_type=refresh_token&refresh_token=" + random_token(r).decode()
        if kind == 2:
            return f"grant_type=password&username=user{r.randrange(50)}&password=h-{r.randrange(10**6)}"
        if kind == 3:
            return r.choice(["grant_type=client_credentials", "grant_type=", "grant_type=refresh_token",
                             "grant_type=password&username=&password=", "grant_type=authorization_code&code=x",
                             "grant_type=refresh_token&refresh_token=a&refresh_token=b", "scope=%ZZ", ""])
        if kind == 4:
            return "token=" + urllib.parse.quote(spoil(r.choice(self.refresh), r)) + "&token_type_hint=" + r.choice(["refresh_token", "access_token", "x"])
        return f"username=user{r.randrange(50)}"

    def valid_like(self):
        """A plausible request (before mutation): category, bytes, answers expected."""
        r = self.rng
        k = r.randrange(10)
        if k <= 2:
            return "token-form", form_request(b"/oauth/token", self.token_body())
        if k == 3:
            obj = {"grant_type": r.choice(["refresh_token", "password", 1, None, ["x"]]),
                   "refresh_token": spoil(r.choice(self.refresh), r).decode("latin-1"),
                   "username": f"user{r.randrange(50)}", "password": f"h-{r.randrange(1000)}"}
            body = json.dumps(obj).encode()
            return "token-json", request(b"POST", b"/oauth/token", [(b"Host", b"x"), (b"Content-Type", b"application/json"),
                                                                  (b"Content-Length", str(len(body)).encode())], body)
        if k == 4:
            return "revoke", form_request(b"/oauth/revoke", "token=" + urllib.parse.quote(spoil(r.choice(self.refresh + self.access), r)))
        if k == 5:
            token = spoil(r.choice(self.access), r) if r.random() < 0.7 else random_token(r)
            scheme = r.choice([b"Bearer ", b"bearer ", b"BEARER  ", b"Basic ", b"Bearer", b""])
            path = r.choice([b"/me", b"/auth/logout-all"])
            method = b"GET" if path == b"/me" else b"POST"
            return "bearer", request(method, path, [(b"Host", b"x"), (b"Authorization", scheme + token), (b"Content-Length", b"0")])
        if k == 6:
            secret = r.choice([b"", b"wrong", b"A" * 40, random_token(r)])
            return "admin", form_request(r.choice([b"/admin/users/disable", b"/admin/users/enable"]), f"username=user{r.randrange(50)}",
                                         [(b"Authorization", b"Bearer " + secret)])
        if k == 7:
            return "read-only", request(b"GET", r.choice([b"/healthz", b"/.well-known/jwks.json", b"/metrics", b"/", b"/nope"]), [(b"Host", b"x")])
        if k == 8:
            return "logout-all", request(b"POST", b"/auth/logout-all", [(b"Host", b"x"), (b"Content-Length", b"0")])
        return "token-form", form_request(b"/oauth/token", self.token_body())

    def framing(self, payload):
        """Framing and header attacks on one request."""
        r = self.rng
        head, _, body = payload.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        k = r.randrange(16)
        if k == 0:
            lines = [l for l in lines if not l.lower().startswith(b"content-length")]
            lines.append(b"Transfer-Encoding: chunked")
            chunk = b"%x\r\n" % len(body) + body + b"\r\n" if body else b""
            body = chunk + r.choice([b"0\r\n\r\n", b"0\r\n", b"", b"zz\r\n", b"ffffffffffffffffff\r\n", b"5;ext=1\r\nhello\r\n0\r\n\r\n"])
            return "chunked", lines, body
        if k == 1:
            lines.append(b"Content-Length: " + r.choice([b"-1", b"abc", b"99999999999999999999", b"1, 2", b" 5", b"0x10"]))
            return "bad-content-length", lines, body
        if k == 2:
            lines.append(b"Content-Length: " + str(len(body) + r.randrange(1, 5)).encode())
            return "duplicate-content-length", lines, body
        if k == 3:
            lines.append(b"Transfer-Encoding: " + r.choice([b"chunked", b"gzip, chunked", b"identity", b"chunked, chunked", b"xchunked"]))
            return "cl-and-te", lines, body
        if k == 4:
            lines.insert(1, b"X-Long: " + b"a" * r.choice([8192, 70000, 200000]))
            return "long-header", lines, body
        if k == 5:
            lines[0] = lines[0].split(b" ")[0] + b" /" + b"p" * r.choice([4096, 70000, 300000]) + b" HTTP/1.1"
            return "long-line", lines, body
        if k == 6:
            lines[1:1] = [b"X-H%d: %d" % (i, i) for i in range(r.choice([100, 1000, 5000]))]
            return "many-headers", lines, body
        if k == 7:
            i = r.randrange(1, len(lines)) if len(lines) > 1 else 0
            lines[i] = lines[i] + r.choice([b"\x00", b"\r", b"\n", b"\x7f", b"\r\n folded", b"\xff"])
            return "control-bytes", lines, body
        if k == 8:
            lines[0] = r.choice([b"get", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"HEAD", b"TRACE", b"CONNECT", b"BREW", b"P\x00ST", b""]) \
                + b" " + b" ".join(lines[0].split(b" ")[1:])
            return "method", lines, body
        if k == 9:
            parts = lines[0].split(b" ")
            parts[-1] = r.choice([b"HTTP/1.0", b"HTTP/2.0", b"HTTP/9.9", b"HTTP/1.1x", b"http/1.1", b"", b"HTTP/0.9"])
            lines[0] = b" ".join(parts)
            return "version", lines, body
        if k == 10:
            parts = lines[0].split(b" ")
            if len(parts) >= 2:
                parts[1] = r.choice([b"/oauth/token?x=1&grant_type=password", b"//oauth//token", b"/oauth/token/", b"/oauth/%74oken",
                                     b"/../../etc/passwd", b"/%00", b"*", b"http://evil/oauth/token", b"/oauth/token#f", b"/me?" + b"q" * 5000,
                                     b"/\xff\xfe", b"/metrics/../oauth/token", b"/.well-known/jwks.json/x"])
            lines[0] = b" ".join(parts)
            return "path", lines, body
        if k == 11:
            lines.append(b"Expect: 100-continue")
            return "expect", lines, body
        if k == 12:
            lines = [l for l in lines if not l.lower().startswith(b"host")]
            lines.append(r.choice([b"Host: a", b"Host: b", b"Host:", b"Connection: close", b"Connection: keep-alive, upgrade", b"Upgrade: h2c"]))
            return "host-connection", lines, body
        if k == 13:
            i = r.randrange(len(lines))
            lines[i] = mutate(lines[i], r)
            return "mutated-head", lines, body
        if k == 14:
            big = r.choice([1 << 16, 1 << 20, 4 << 20])
            lines = [l for l in lines if not l.lower().startswith(b"content-length")] + [b"Content-Length: %d" % big]
            return "oversized-body", lines, b"a=" + b"b" * (big - 2)
        return "mutated-body", [l if not l.lower().startswith(b"content-length") else None for l in lines], mutate(body, r)

    def one(self):
        """One hostile exchange: (category, responses or None, request count, bytes sent)."""
        r = self.rng
        category, payload = self.valid_like()
        roll = r.random()
        if roll < 0.30:
            return category, exchange(self.host, self.port, payload), 1, payload
        if roll < 0.75:
            sub, lines, body = self.framing(payload)
            if sub == "mutated-body":
                lines = [l for l in lines if l is not None] + [b"Content-Length: %d" % len(body)]
            sent = b"\r\n".join(lines) + b"\r\n\r\n" + body
            return sub, exchange(self.host, self.port, sent, timeout=3.0), 1, sent
        if roll < 0.85:
            n = r.randrange(2, 12)
            batch = b"".join(self.valid_like()[1] for _ in range(n))
            return "pipelined", exchange(self.host, self.port, batch, expected=n), n, batch
        if roll < 0.95:
            cut = r.randrange(len(payload))
            return "truncated", exchange(self.host, self.port, payload[:cut], timeout=2.0, half_close=True), 1, payload[:cut]
        sent = mutate(payload, r)
        return "raw-mutation", exchange(self.host, self.port, sent, timeout=3.0), 1, sent


def login(host, port, i):
    answers = exchange(host, port, form_request(b"/oauth/token", f"grant_type=password&username=user{i}&password=pw-{i}"))
    if not answers or answers[0].status != 200:
        raise SystemExit(f"hostile_http: sentinel login user{i} failed: {answers and answers[0].status}")
    return json.loads(answers[0].body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--slow", type=int, default=4, help="slow senders, each dribbling one request")
    ap.add_argument("--sentinels", type=int, default=0, help="users logged in first (userN / pw-N); with --requests 0, only that")
    ap.add_argument("--sentinel-file", help="where the sentinels' tokens are written (with --sentinels) or read (without)")
    ap.add_argument("--check-sentinels", help="refresh every sentinel of this file once, then exit")
    ap.add_argument("--admin", action="store_true", help="also send admin requests (with wrong secrets)")
    args = ap.parse_args()
    host, port = parse_url(args.url)

    if args.check_sentinels:
        sentinels = json.load(open(args.check_sentinels))
        bad = []
        for s in sentinels:
            answers = exchange(host, port, form_request(b"/oauth/token", "grant_type=refresh_token&refresh_token=" + s["refresh_token"]))
            if not answers or answers[0].status != 200:
                bad.append({"user": s["user"], "status": answers[0].status if answers else None})
        print(json.dumps({"sentinels": len(sentinels), "refreshed": len(sentinels) - len(bad), "failed": bad}))
        return 0 if not bad else 1

    sentinels = []
    if args.sentinels > 0:
        for i in range(args.sentinels):
            t = login(host, port, i + 1)
            sentinels.append({"user": f"user{i + 1}", "refresh_token": t["refresh_token"], "access_token": t["access_token"]})
        if args.sentinel_file:
            json.dump(sentinels, open(args.sentinel_file, "w"))
        if args.requests == 0:
            print(json.dumps({"sentinels": len(sentinels)}))
            return 0
    elif args.sentinel_file:
        sentinels = json.load(open(args.sentinel_file))

    lock = threading.Lock()
    stats = {"requests": 0, "exchanges": 0, "by_status": {}, "no_answer": 0, "refused_connections": 0,
             "server_errors": 0, "server_error_samples": [], "by_category": {}, "slow_senders": 0}
    remaining = [args.requests]

    def record(category, answers, count, sample):
        with lock:
            stats["requests"] += count
            stats["exchanges"] += 1
            c = stats["by_category"].setdefault(category, {"requests": 0, "answers": 0})
            c["requests"] += count
            if answers is None:
                stats["refused_connections"] += 1
                return
            if not answers:
                stats["no_answer"] += 1
            for a in answers:
                c["answers"] += 1
                key = str(a.status)
                stats["by_status"][key] = stats["by_status"].get(key, 0) + 1
                if a.status >= 500:
                    stats["server_errors"] += 1
                    if len(stats["server_error_samples"]) < 5:
                        stats["server_error_samples"].append({"category": category, "status": a.status,
                                                              "request": sample[:300].decode("latin-1"), "body": a.body[:200].decode("latin-1")})

    def worker(seed):
        rng = random.Random(seed)
        h = Hostile(host, port, rng, sentinels, args.admin)
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            category, answers, count, sent = h.one()
            record(category, answers, count, sent)

    def slow(seed):
        rng = random.Random(seed)
        h = Hostile(host, port, rng, sentinels, args.admin)
        _, payload = h.valid_like()
        answers = exchange(host, port, payload, timeout=30.0, dribble=(rng.randrange(1, 4), 0.05))
        with lock:
            stats["slow_senders"] += 1
        record("slow-sender", answers, 1, payload)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(args.seed * 1000 + i,)) for i in range(args.threads)]
    threads += [threading.Thread(target=slow, args=(args.seed * 1000 + 500 + i,)) for i in range(args.slow)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats["seconds"] = round(time.monotonic() - started, 1)
    health = exchange(host, port, request(b"GET", b"/healthz", [(b"Host", b"x")]))
    stats["healthz_after"] = health[0].status if health else None
    print(json.dumps(stats, sort_keys=True))
    return 0 if stats["server_errors"] == 0 and stats["healthz_after"] == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
