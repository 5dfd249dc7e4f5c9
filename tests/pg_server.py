"""A throwaway PostgreSQL server for the tests that need one (``pg_url``, via conftest.py).

It starts from the Debian ``postgresql`` binaries (``.ci/run`` installs them): a fresh cluster in a temporary
folder, listening only on a unix socket there, run as the unprivileged ``postgres`` user when the tests run as
root. A test module using it is skipped, saying why, only when no server can be started on this machine.
"""

from __future__ import annotations

import glob
import os
import random
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def _pg_bin() -> Path | None:
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"):
        for d in sorted(glob.glob(pattern), reverse=True):
            if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
                return Path(d)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found and shutil.which("pg_ctl") else None


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: name the unprivileged user to run it as (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return ""


def _command(user: str | None, args: list[str]) -> list[str]:
    if not user:
        return args
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *args]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(args)]


@pytest.fixture(scope="module")
def pg_url():
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("No PostgreSQL server binaries (initdb, pg_ctl) found; install them with "
                    "`apt-get install -y postgresql` (.ci/run does) to run these tests.")
    user = _server_user()
    if user == "":
        pytest.skip("Running as root and no unprivileged user (postgres/nobody) exists to run the server as.")
    tmp = Path(tempfile.mkdtemp(prefix="lab-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    if user:
        import pwd

        account = pwd.getpwnam(user)
        for p in (tmp, sock):
            os.chown(p, account.pw_uid, account.pw_gid)
        os.chmod(tmp, 0o755)
    port = random.randint(20000, 60000)  # names the socket file only; no TCP listener is opened
    log = tmp / "server.log"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(_command(user, list(args)), capture_output=True, text=True, timeout=120, cwd=tmp)

    init = run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "lab", "-E", "UTF8", "--no-sync")
    if init.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.skip(f"initdb failed, so no PostgreSQL server can be started here: {init.stderr.strip()[-400:]}")
    opts = f"-c listen_addresses='' -k {sock} -p {port} -c fsync=off -c max_connections=100"
    start = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start")
    if start.returncode != 0:
        detail = log.read_text(errors="replace")[-400:] if log.exists() else start.stderr[-400:]
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.skip(f"pg_ctl could not start a PostgreSQL server here: {detail.strip()}")
    try:
        yield f"postgresql://lab@/postgres?host={sock}&port={port}"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)
