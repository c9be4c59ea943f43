"""Starts one of the third-party test servers on loopback and prints one line,
`listening on URL`, once it answers TCP connections; stops it on SIGTERM or SIGINT.

    python start.py SERVER --port PORT [--workdir DIR]

Settings come from the environment (README.md). simplejwt and authlib run under gunicorn with
8 threads per worker process: simplejwt with TOKENBENCH_SERVER_WORKERS processes (default 2,
its state is in the database), Authlib with one (it keeps its tokens in memory). Every other
server's folder, `SERVER_server/`, has a `launch.py` whose
`command(python, port, env, workdir)` prepares the server (it may add to `env` and write to
`workdir`) and returns the command that serves it, on HTTPS when TOKENBENCH_TLS_CERT and
TOKENBENCH_TLS_KEY are set.
"""
import argparse
import importlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_for(port, child, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if child.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def main():
    parser = argparse.ArgumentParser()
    launchers = sorted(name[:-len("_server")] for name in os.listdir(HERE)
                       if name.endswith("_server") and os.path.exists(os.path.join(HERE, name, "launch.py")))
    parser.add_argument("server", choices=["simplejwt", "authlib"] + launchers)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
    workdir = args.workdir or tempfile.mkdtemp(prefix=f"tokenbench-{args.server}-")
    made_workdir = args.workdir is None
    if args.server == "simplejwt":
        env["TOKENBENCH_DJANGO_SECRET"] = secrets.token_urlsafe(48)
        env["TOKENBENCH_DJANGO_DB"] = os.path.join(workdir, "db.sqlite3")
        env["DJANGO_SETTINGS_MODULE"] = "simplejwt_server.settings"
        setup = subprocess.run(
            [sys.executable, "-c",
             "import os; from simplejwt_server.setup import prepare; prepare(int(os.environ.get('TOKENBENCH_USERS', '200')))"],
            env=env, cwd=HERE)
        if setup.returncode != 0:
            sys.exit("start.py: the simplejwt database could not be prepared")
        app = "simplejwt_server.wsgi:application"
    elif args.server == "authlib":
        app = "authlib_server.app:app"

    cert, key = env.get("TOKENBENCH_TLS_CERT"), env.get("TOKENBENCH_TLS_KEY")
    scheme = "https" if cert and key else "http"
    if args.server in ("simplejwt", "authlib"):
        workers = env.get("TOKENBENCH_SERVER_WORKERS", "2") if args.server == "simplejwt" else "1"
        command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{args.port}",
                   "--workers", workers, "--threads", "8", "--worker-class", "gthread",
                   "--log-level", "warning", "--graceful-timeout", "2", "--keep-alive", "75"]
        if scheme == "https":
            command += ["--certfile", cert, "--keyfile", key]
    else:
        sys.path.insert(0, HERE)
        launch = importlib.import_module(f"{args.server}_server.launch")
        command = launch.command(sys.executable, args.port, env, workdir)
    # A process started by the Swift test runner inherits its thread's signal mask, in which
    # SIGTERM, SIGINT, SIGQUIT and SIGHUP are blocked (seen in /proc/PID/status, SigBlk): gunicorn
    # would inherit it too, never see the SIGTERM that stops it, and outlive the test as an
    # orphan. Unblock every signal before the server starts.
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    child = subprocess.Popen(command, env=env, cwd=HERE)

    def stop(signum, frame):
        child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    def cleanup():
        # The work folder holds the server's database and keys: gone with the server.
        if made_workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    # A port another process holds answers too: the server must still be running once it does.
    if not wait_for(args.port, child) or (time.sleep(0.3) or child.poll() is not None):
        child.terminate()
        child.wait()
        cleanup()
        sys.exit(f"start.py: {args.server} did not start on port {args.port}")
    print(f"listening on {scheme}://127.0.0.1:{args.port}", flush=True)
    status = child.wait()
    cleanup()
    sys.exit(status)


if __name__ == "__main__":
    main()
