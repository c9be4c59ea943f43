"""How start.py serves the Flask-JWT-Extended server: gunicorn, one worker process with 8
threads (gthread), as for Authlib, since the blocklist lives in that process's memory."""
import secrets


def command(python, port, env, workdir):
    env["TOKENBENCH_FLASKJWT_SECRET"] = secrets.token_urlsafe(48)
    argv = [python, "-m", "gunicorn", "flaskjwt_server.app:app", "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--threads", "8", "--worker-class", "gthread",
            "--log-level", "warning", "--graceful-timeout", "2", "--keep-alive", "75"]
    cert, key = env.get("TOKENBENCH_TLS_CERT"), env.get("TOKENBENCH_TLS_KEY")
    if cert and key:
        argv += ["--certfile", cert, "--keyfile", key]
    return argv
