"""A Flask API protected by Flask-JWT-Extended 4.7, written the way its documentation writes
one (flask-jwt-extended.readthedocs.io): the login and the protected route of "Basic Usage"
(examples/simple.py), the explicit refresh of "Refreshing Tokens" → "Explicit Refreshing With
Refresh Tokens" (examples/refresh_tokens.py: POST /refresh under @jwt_required(refresh=True)
answers a new access token only), and the blocklist of "JWT Revoking / Blocklist"
(@jwt.token_in_blocklist_loader, and the single logout route of "Revoking Refresh Tokens"
under @jwt_required(verify_type=False), which revokes whichever token it is shown).

Tokens travel in the Authorization header (JWT_TOKEN_LOCATION's default, "headers"). The
blocklist is a set in memory behind a lock, in place of the documentation's Redis or
database: gunicorn runs one worker process with threads. The documentation's logout route
takes DELETE; it takes POST too, the method a TokenBench revoke request uses.
"""
import os
import secrets
import threading
from datetime import timedelta

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
)

ACCESS_TTL = int(os.environ.get("TOKENBENCH_ACCESS_TTL", "30"))
USERS = int(os.environ.get("TOKENBENCH_USERS", "200"))
PASSWORDS = {f"user{n}": f"pw-{n}" for n in range(USERS)}

app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = os.environ["TOKENBENCH_FLASKJWT_SECRET"]  # made anew at every start
app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=ACCESS_TTL)
app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(days=30)  # as the refresh example; also the default
jwt = JWTManager(app)

BLOCKLIST = set()  # the jti of every revoked token
BLOCKLIST_LOCK = threading.Lock()


@jwt.token_in_blocklist_loader
def check_if_token_is_revoked(jwt_header, jwt_payload: dict):
    with BLOCKLIST_LOCK:
        return jwt_payload["jti"] in BLOCKLIST


@app.route("/login", methods=["POST"])
def login():
    username = request.json.get("username", None)
    password = request.json.get("password", None)
    expected = PASSWORDS.get(username) if isinstance(username, str) else None
    if expected is None or not isinstance(password, str) or not secrets.compare_digest(expected, password):
        return jsonify({"msg": "Bad username or password"}), 401

    access_token = create_access_token(identity=username)
    refresh_token = create_refresh_token(identity=username)
    return jsonify(access_token=access_token, refresh_token=refresh_token)


@app.route("/refresh", methods=["POST"])
@jwt_required(refresh=True)
def refresh():
    identity = get_jwt_identity()
    access_token = create_access_token(identity=identity)
    return jsonify(access_token=access_token)


@app.route("/logout", methods=["DELETE", "POST"])
@jwt_required(verify_type=False)
def logout():
    token = get_jwt()
    jti = token["jti"]
    ttype = token["type"]
    with BLOCKLIST_LOCK:
        BLOCKLIST.add(jti)
    return jsonify(msg=f"{ttype.capitalize()} token successfully revoked")


@app.route("/protected", methods=["GET"])
@jwt_required()
def protected():
    current_user = get_jwt_identity()
    return jsonify(logged_in_as=current_user), 200
