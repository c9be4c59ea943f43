"""How start.py serves the AuthX server: uvicorn, one worker process (the blocklist lives in
its memory), HTTPS with uvicorn's own TLS when TOKENBENCH_TLS_CERT and TOKENBENCH_TLS_KEY are
set. uvicorn stops on SIGTERM, closing idle keep-alive connections within 2 s."""
import secrets


def command(python, port, env, workdir):
    env["TOKENBENCH_AUTHX_SECRET"] = secrets.token_urlsafe(48)
    argv = [python, "-m", "uvicorn", "authx_server.app:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--log-level", "warning", "--no-access-log",
            "--timeout-keep-alive", "75", "--timeout-graceful-shutdown", "2"]
    cert, key = env.get("TOKENBENCH_TLS_CERT"), env.get("TOKENBENCH_TLS_KEY")
    if cert and key:
        argv += ["--ssl-certfile", cert, "--ssl-keyfile", key]
    return argv
