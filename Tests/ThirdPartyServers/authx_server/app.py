"""A FastAPI app protected by AuthX 1.7 with its tokens in cookies and CSRF protection
(JWT_TOKEN_LOCATION=["cookies"], JWT_COOKIE_CSRF_PROTECT=True), written the way AuthX's
documentation writes one (authx.yezz.me): the cookie app of "Dependency Bundle" → "Complete
Example" (login sets the access and refresh cookies with set_access_cookies and
set_refresh_cookies and answers {"message": "Logged in"}; POST /refresh under
auth.REFRESH_REQUIRED sets a new access cookie only; logout unsets the cookies), and the
blocklist of "Token Callbacks" → "Token Blocklist" (set_callback_token_blocklist over a set of
raw token strings; "Revoke Both Tokens": logout adds the access and the refresh token it is
shown).

One departure, said here: the documentation's logout depends on auth.ACCESS_REQUIRED, so that
its POST must carry the access token's CSRF value (cookie csrf_access_token), while /refresh
must carry the refresh token's (csrf_refresh_token), under the same header X-CSRF-TOKEN. This
logout depends on auth.REFRESH_REQUIRED instead, the dependency the documentation gives the
refresh token (Dependencies → refresh_token_required), so that one CSRF cookie,
csrf_refresh_token, serves both refresh and logout. It revokes the refresh token it verified
and, when the request also carries the access cookie, that access token.

The blocklist is a set in memory behind a lock, as the documentation's "simple in-memory
blocklist"; uvicorn runs one worker process. Cookies are Secure when the server speaks HTTPS
(the documentation: JWT_COOKIE_SECURE=False "Set True in production (HTTPS)").
"""
import os
import secrets
import threading
from datetime import timedelta

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from authx import AuthX, AuthXConfig, AuthXDependency, TokenPayload

ACCESS_TTL = int(os.environ.get("TOKENBENCH_ACCESS_TTL", "30"))
USERS = int(os.environ.get("TOKENBENCH_USERS", "200"))
PASSWORDS = {f"user{n}": f"pw-{n}" for n in range(USERS)}
HTTPS = bool(os.environ.get("TOKENBENCH_TLS_CERT") and os.environ.get("TOKENBENCH_TLS_KEY"))

app = FastAPI()

config = AuthXConfig(
    JWT_SECRET_KEY=os.environ["TOKENBENCH_AUTHX_SECRET"],  # made anew at every start
    JWT_TOKEN_LOCATION=["cookies"],
    JWT_COOKIE_CSRF_PROTECT=True,
    JWT_COOKIE_SECURE=HTTPS,
    JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=ACCESS_TTL),
)

auth = AuthX(config=config)
auth.handle_errors(app)

BLOCKLIST: set[str] = set()  # raw token strings, as the documentation keeps them
BLOCKLIST_LOCK = threading.Lock()


@auth.set_callback_token_blocklist
def is_token_revoked(token: str) -> bool:
    """Return True if token is revoked."""
    with BLOCKLIST_LOCK:
        return token in BLOCKLIST


class LoginRequest(BaseModel):
    username: str
    password: str


@app.post("/login")
def login(data: LoginRequest, deps: AuthXDependency = auth.BUNDLE):
    expected = PASSWORDS.get(data.username)
    if expected is not None and secrets.compare_digest(expected, data.password):
        tokens = deps.create_token_pair(uid=data.username)
        deps.set_access_cookies(tokens.access_token)
        deps.set_refresh_cookies(tokens.refresh_token)
        return {"message": "Logged in"}
    raise HTTPException(401, detail="Invalid credentials")


@app.post("/refresh")
def refresh(payload: TokenPayload = auth.REFRESH_REQUIRED, deps: AuthXDependency = auth.BUNDLE):
    access_token = deps.create_access_token(uid=payload.sub)
    deps.set_access_cookies(access_token)
    return {"message": "Token refreshed"}


@app.post("/logout", dependencies=[auth.REFRESH_REQUIRED])
async def logout(request: Request, deps: AuthXDependency = auth.BUNDLE):
    refresh = await auth.get_refresh_token_from_request(request)
    access = await auth.get_token_from_request(request, type="access", optional=True)
    with BLOCKLIST_LOCK:
        BLOCKLIST.add(refresh.token)
        if access:
            BLOCKLIST.add(access.token)
    deps.unset_cookies()
    return {"message": "Logged out"}


@app.get("/protected")
def protected(payload: TokenPayload = auth.ACCESS_REQUIRED):
    return {"message": "Access granted", "username": payload.sub}
