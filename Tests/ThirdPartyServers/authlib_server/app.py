"""An OAuth 2.0 authorization server built on Authlib, the way Authlib's documentation
builds one (docs.authlib.org, "Flask OAuth 2.0 Server": grants, revocation endpoint,
resource protector), with the models kept in memory instead of SQLAlchemy.

- password grant (RFC 6749 §4.3) and refresh-token grant (§6) with a new refresh token on
  every refresh (INCLUDE_NEW_REFRESH_TOKEN) and the old one revoked (revoke_old_credential);
- RFC 7009 revocation at /oauth/revoke;
- GET /api/me behind a Bearer token (RFC 6750);
- one confidential client, `tokenbench`, authenticated with HTTP Basic
  (TOKENBENCH_AUTHLIB_CLIENT_SECRET).

Nothing here adds what Authlib leaves to the developer: there is no reuse detection
(a spent refresh token is refused, its family is not revoked) and no lock around a rotation,
as in the documentation's example.
"""
import os
import secrets
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import Flask, jsonify

ACCESS_TTL = int(os.environ.get("TOKENBENCH_ACCESS_TTL", "30"))
USERS = int(os.environ.get("TOKENBENCH_USERS", "200"))
CLIENT_SECRET = os.environ["TOKENBENCH_AUTHLIB_CLIENT_SECRET"]


class User:
    def __init__(self, uid, username, password):
        self.id = uid
        self.username = username
        self.password = password

    def get_user_id(self):
        return self.id

    def check_password(self, password):
        return secrets.compare_digest(self.password, password)


class Client(ClientMixin):
    def __init__(self, client_id, client_secret):
        self.client_id = client_id
        self.client_secret = client_secret

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope or ""

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic"

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type in ("password", "refresh_token")


class Token(TokenMixin):
    def __init__(self, client_id, user, data):
        self.client_id = client_id
        self.user = user
        self.access_token = data["access_token"]
        self.refresh_token = data.get("refresh_token")
        self.scope = data.get("scope", "")
        self.expires_in = data["expires_in"]
        self.issued_at = int(time.time())
        self.access_token_revoked_at = 0
        self.refresh_token_revoked_at = 0

    def check_client(self, client):
        return self.client_id == client.get_client_id()

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self):
        return bool(self.access_token_revoked_at)

    def get_user(self):
        return self.user

    def get_client(self):
        return CLIENTS[self.client_id]


USERS_BY_NAME = {f"user{n}": User(n, f"user{n}", f"pw-{n}") for n in range(USERS)}
CLIENTS = {"tokenbench": Client("tokenbench", CLIENT_SECRET)}
BY_ACCESS = {}
BY_REFRESH = {}
TABLE = threading.Lock()  # guards the dictionaries only, as a database would its tables


def query_client(client_id):
    return CLIENTS.get(client_id)


def save_token(token_data, request):
    token = Token(request.client.get_client_id(), request.user, token_data)
    with TABLE:
        BY_ACCESS[token.access_token] = token
        if token.refresh_token:
            BY_REFRESH[token.refresh_token] = token


class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    def authenticate_user(self, username, password):
        user = USERS_BY_NAME.get(username)
        if user is not None and user.check_password(password):
            return user
        return None


class RefreshTokenGrant(grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        with TABLE:
            token = BY_REFRESH.get(refresh_token)
        if token and not token.refresh_token_revoked_at:
            return token
        return None

    def authenticate_user(self, credential):
        return credential.user

    def revoke_old_credential(self, credential):
        credential.refresh_token_revoked_at = int(time.time())


class Revocation(RevocationEndpoint):
    def query_token(self, token_string, token_type_hint):
        with TABLE:
            if token_type_hint == "access_token":
                return BY_ACCESS.get(token_string)
            if token_type_hint == "refresh_token":
                return BY_REFRESH.get(token_string)
            return BY_ACCESS.get(token_string) or BY_REFRESH.get(token_string)

    def revoke_token(self, token, request):
        now = int(time.time())
        hint = request.form.get("token_type_hint")
        token.access_token_revoked_at = now
        if hint != "access_token":
            token.refresh_token_revoked_at = now


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        with TABLE:
            return BY_ACCESS.get(token_string)


app = Flask(__name__)
app.config.update(
    OAUTH2_REFRESH_TOKEN_GENERATOR=True,
    OAUTH2_TOKEN_EXPIRES_IN={"password": ACCESS_TTL, "refresh_token": ACCESS_TTL},
)
authorization = AuthorizationServer(app, query_client=query_client, save_token=save_token)
authorization.register_grant(PasswordGrant)
authorization.register_grant(RefreshTokenGrant)
authorization.register_endpoint(Revocation)
require_oauth = ResourceProtector()
require_oauth.register_token_validator(Validator())


@app.route("/oauth/token", methods=["POST"])
def issue_token():
    return authorization.create_token_response()


@app.route("/oauth/revoke", methods=["POST"])
def revoke_token():
    return authorization.create_endpoint_response(Revocation.ENDPOINT_NAME)


@app.route("/api/me")
@require_oauth()
def me():
    return jsonify(username=current_token.user.username, user_id=current_token.user.id)
