"""start.py's hook for `start.py dot`: prepares django-oauth-toolkit's database and keys in
`workdir` and returns the gunicorn command that serves it (see ../start.py and FINDINGS.md).

Secrets are made here at every start and never written to the repository: Django's
SECRET_KEY (in the environment) and the OIDC RSA private key (openssl genrsa, as DOT's
"OpenID Connect" page shows, into workdir). The key has 2048 bits, not the page's 4096: a
test-only choice, since every refresh of a token with the `openid` scope signs an ID token
(about 0.25 ms with 2048 bits against 4 ms with 4096). TOKENBENCH_DOT_CLIENT_SECRET is required.
"""
import os
import secrets
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def command(python, port, env, workdir):
    if not env.get("TOKENBENCH_DOT_CLIENT_SECRET"):
        sys.exit("start.py: dot needs TOKENBENCH_DOT_CLIENT_SECRET, the secret of client tokenbench")
    key = os.path.join(workdir, "oidc.key")
    if not os.path.exists(key):
        made = subprocess.run(["openssl", "genrsa", "-out", key, "2048"], capture_output=True)
        if made.returncode != 0:
            sys.exit("start.py: openssl genrsa failed: " + made.stderr.decode(errors="replace"))
        os.chmod(key, 0o600)
    env["TOKENBENCH_DOT_OIDC_KEY"] = key
    env["TOKENBENCH_DJANGO_SECRET"] = secrets.token_urlsafe(48)
    env["TOKENBENCH_DJANGO_DB"] = os.path.join(workdir, "db.sqlite3")
    env["DJANGO_SETTINGS_MODULE"] = "dot_server.settings"
    setup = subprocess.run(
        [python, "-c",
         "import os; from dot_server.setup import prepare; "
         "prepare(int(os.environ.get('TOKENBENCH_USERS', '200')), os.environ['TOKENBENCH_DOT_CLIENT_SECRET'])"],
        env=env, cwd=HERE)
    if setup.returncode != 0:
        sys.exit("start.py: the dot database could not be prepared")
    argv = [python, "-m", "gunicorn", "dot_server.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", env.get("TOKENBENCH_SERVER_WORKERS", "2"), "--threads", "8",
            "--worker-class", "gthread", "--log-level", "warning", "--graceful-timeout", "2",
            "--keep-alive", "75"]
    cert, key_file = env.get("TOKENBENCH_TLS_CERT"), env.get("TOKENBENCH_TLS_KEY")
    if cert and key_file:
        argv += ["--certfile", cert, "--keyfile", key_file]
    return argv
