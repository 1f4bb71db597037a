"""A throwaway central store: PostgreSQL 15 in a temporary folder and the real server.

``PostgresCluster`` runs PostgreSQL from Debian's packages (``apt-get install postgresql-15``)
in a temporary folder on a free loopback port. initdb refuses to run as root, so under root
the cluster belongs to the unprivileged ``nobody`` (``runuser``). ``StoreProcess`` runs
``python -m sync_server serve`` as a child process that can be SIGKILLed. ``Laptop`` is an
enrolled device's plain httpx client. The store tests (tests/sync_server/fixtures.py) and
``benchmarks/sync.py`` use them; nothing here holds real data.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
CLIENT_VERSION = "0.1.0"  # the X-Client-Version a Laptop sends
STARTUP_TIMEOUT_S = 30.0
# Throwaway stores take many wrong enrolment codes before 429 (tests try them on purpose, and
# every store on one database shares the count); tests of the limits pass their own ``env``.
LENIENT_ENROLMENT = {"SCP_STORE_ENROL_FAILURES_PER_ADDRESS": "100000",
                     "SCP_STORE_ENROL_FAILURES_STORE_WIDE": "100000"}


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<n>/bin`` that has pg_ctl, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A throwaway PostgreSQL cluster with one database owned by a store role."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="scp-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.admin_password = secrets.token_hex(16)
        self.store_password = secrets.token_hex(16)
        self._owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
        if self._owner is not None:
            os.chown(self.folder, self._owner.pw_uid, self._owner.pw_gid)

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "nobody", "--"] if self._owner is not None else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}\n{done.stderr}\n{self.log()}")

    def log(self) -> str:
        """The server log's last lines."""
        path = self.folder / "postgres.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def start(self, durable: bool = False) -> None:
        """initdb, start on 127.0.0.1:port, create the store's role and database."""
        pwfile = self.folder / "pw"
        pwfile.write_text(self.admin_password)
        if self._owner is not None:
            os.chown(pwfile, self._owner.pw_uid, self._owner.pw_gid)
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
                  f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        pwfile.unlink()
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.folder}")
        if not durable:
            # Durability is not under test (the server is killed, never PostgreSQL).
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.folder / "postgres.log"), "-o", options, "-w", "start")
        with psycopg.connect(self.admin_url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE scp_store LOGIN PASSWORD '{self.store_password}'")
            conn.execute("CREATE DATABASE scp_store OWNER scp_store")

    def admin_url(self, database: str = "scp_store") -> str:
        """A libpq URL for the superuser (for looking at pg_stat_activity and COPY)."""
        return (f"postgresql://postgres:{self.admin_password}@127.0.0.1:{self.port}/"
                f"{database}")

    @property
    def store_url(self) -> str:
        """The URL the store runs with: its own role, not a superuser."""
        return self.database_url("scp_store")

    def database_url(self, database: str) -> str:
        """The store role's URL of ``database`` (``store_url`` for the store's own)."""
        return f"postgresql://scp_store:{self.store_password}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str) -> str:
        """A fresh, empty database owned by the store's role (a test's own, so nothing
        another test left behind is in it): its name (``database_url`` gives its URL)."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.admin_url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER scp_store")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database ``new_database`` made, closing whatever is still connected."""
        with psycopg.connect(self.admin_url("postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")

    def stop(self) -> None:
        """Stop at once and remove the folder."""
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class StoreProcess:
    """``python -m sync_server serve`` in a child process on a free loopback port."""

    def __init__(self, database_url: str, log_path: Path, *, env: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None, workers: int = 1,
                 serve_args: tuple[str, ...] = ()) -> None:
        self.database_url = database_url
        self.serve_args = serve_args  # more options for ``serve``
        self.workers = workers  # uvicorn worker processes (``serve --workers``)
        self.log_path = log_path
        self.port = free_port()
        self.env = {**os.environ, "PYTHONPATH": str(REPO), **LENIENT_ENROLMENT, **(env or {})}
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """``http(s)://127.0.0.1:<port>``."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, verify: Any = True) -> StoreProcess:
        """Start and wait until the health probe answers (the schema is upgraded first)."""
        args = [sys.executable, "-m", "sync_server", "--database-url", self.database_url,
                "serve", "--port", str(self.port), "--log-level", "warning"]
        if self.workers != 1:
            args += ["--workers", str(self.workers)]
        if self.tls:
            args += ["--ssl-certfile", str(self.tls[0]), "--ssl-keyfile", str(self.tls[1])]
        args += self.serve_args
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         env=self.env, cwd=self.log_path.parent)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the store exited ({self.proc.returncode}):\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/health", verify=verify,
                             timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the store did not answer within {STARTUP_TIMEOUT_S} s:\n{self.log()}")

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """A normal shutdown (SIGTERM), then SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


class Laptop:
    """One enrolled device talking to the store as the desktop client will."""

    def __init__(self, base_url: str, token: str, device_id: str, team_id: str,
                 **client_args: Any) -> None:
        self.device_id = device_id
        self.team_id = team_id
        self.token = token
        self.http = httpx.Client(
            base_url=f"{base_url}/api/v1", timeout=30, **client_args,
            headers={"Authorization": f"Bearer {token}", "X-Client-Version": CLIENT_VERSION})

    def push(self, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers to one batch (fails on anything but 200)."""
        # ASCII-escaped JSON, so even a row with a lone surrogate reaches the server's checks.
        response = self.http.post("/push", content=json.dumps({"changes": changes}),
                                  headers={"Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        answers: list[dict[str, Any]] = response.json()["answers"]
        return answers

    def pull_all(self, cursor: int = 0, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
        """Every change after ``cursor`` (following the pages) and the final cursor."""
        changes: list[dict[str, Any]] = []
        while True:
            response = self.http.get("/pull", params={"cursor": cursor, "limit": limit})
            assert response.status_code == 200, response.text
            page = response.json()
            changes += page["changes"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return changes, cursor

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


def enrol_with_code(server: StoreProcess, code: str, **client_args: Any) -> Laptop:
    """Enrol through the API, as the laptop's settings page will, and wrap the answer."""
    response = httpx.post(f"{server.base_url}/api/v1/enrol",
                          json={"code": code, "device_name": "Test laptop"},
                          headers={"X-Client-Version": CLIENT_VERSION}, **client_args)
    assert response.status_code == 200, response.text
    body = response.json()
    return Laptop(server.base_url, body["token"], body["device_id"], body["team"]["id"],
                  **client_args)


def pgbouncer_binary() -> str | None:
    """Debian's ``pgbouncer`` (``apt-get install pgbouncer``; it lives in /usr/sbin), or None."""
    found = shutil.which("pgbouncer")
    if found is None and os.access("/usr/sbin/pgbouncer", os.X_OK):
        found = "/usr/sbin/pgbouncer"
    return found


class PgBouncer:
    """PgBouncer in transaction pooling mode in front of a ``PostgresCluster``'s database.

    Runs as the unprivileged ``nobody`` under root (like the cluster), in a temporary folder,
    on a free loopback port, with at most ``pool_size`` server connections. Server
    connections are handed out round robin (``server_round_robin``), not last-in first-out:
    each transaction of a client is then likely to land on another server connection, so
    anything the store keeps in a database session between transactions (a server-side
    prepared statement, a ``SET``, a session lock) shows up at once instead of by luck.
    """

    def __init__(self, cluster: PostgresCluster, binary: str, *, database: str = "scp_store",
                 pool_size: int = 3) -> None:
        self.cluster = cluster
        self.binary = binary
        self.database = database
        self.pool_size = pool_size
        self.folder = Path(tempfile.mkdtemp(prefix="scp-pgbouncer-"))
        self.port = free_port()
        self._owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def store_url(self) -> str:
        """The store role's URL through PgBouncer (same database name, PgBouncer's port)."""
        return (f"postgresql://scp_store:{self.cluster.store_password}@127.0.0.1:{self.port}/"
                f"{self.database}")

    def _write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text)
        path.chmod(0o600)
        if self._owner is not None:
            os.chown(path, self._owner.pw_uid, self._owner.pw_gid)
        return path

    def start(self) -> PgBouncer:
        """Write the config, start PgBouncer and wait until a query passes through it."""
        if self._owner is not None:
            os.chown(self.folder, self._owner.pw_uid, self._owner.pw_gid)
        # PgBouncer authenticates clients itself (SCRAM) and, knowing the password, logs in
        # to PostgreSQL with SCRAM in turn.
        users = self._write("userlist.txt", f'"scp_store" "{self.cluster.store_password}"\n')
        config = self._write("pgbouncer.ini", "\n".join([
            "[databases]",
            f"{self.database} = host=127.0.0.1 port={self.cluster.port} dbname={self.database}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {self.port}",
            "unix_socket_dir =",
            "auth_type = scram-sha-256",
            f"auth_file = {users}",
            "pool_mode = transaction",
            f"default_pool_size = {self.pool_size}",
            "max_client_conn = 500",
            "server_round_robin = 1",
            "stats_users = scp_store",  # may read SHOW POOLS, CLIENTS, STATS on the console
            f"logfile = {self.folder / 'pgbouncer.log'}",
            f"pidfile = {self.folder / 'pgbouncer.pid'}",
            "",
        ]))
        # The process itself runs as nobody (not under runuser, which waits two seconds
        # after passing on a SIGTERM), so stop() signals PgBouncer directly.
        owner: dict[str, Any] = {}
        if self._owner is not None:
            owner = {"user": self._owner.pw_uid, "group": self._owner.pw_gid,
                     "extra_groups": []}
        with open(self.folder / "stdout.log", "ab") as out:
            self.proc = subprocess.Popen([self.binary, str(config)], stdout=out,
                                         stderr=subprocess.STDOUT, cwd=self.folder, **owner)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited ({self.proc.returncode}):\n{self.log()}")
            try:
                with psycopg.connect(self.store_url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return self
            except psycopg.OperationalError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pgbouncer did not answer within {STARTUP_TIMEOUT_S} s:\n{self.log()}")

    def show(self, what: str) -> list[dict[str, Any]]:
        """``SHOW <what>`` on PgBouncer's console (POOLS, CLIENTS, SERVERS, STATS), as dicts."""
        if not what.isalpha():
            raise ValueError(what)
        console = self.store_url.rsplit("/", 1)[0] + "/pgbouncer"
        with psycopg.connect(console, autocommit=True) as conn:
            cursor = conn.execute(f"SHOW {what}")
            names = [column.name for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def log(self) -> str:
        """PgBouncer's log and anything it printed."""
        parts = [self.folder / "stdout.log", self.folder / "pgbouncer.log"]
        return "".join(p.read_text(errors="replace")[-4000:] for p in parts if p.exists())

    def stop(self) -> None:
        """Stop at once (SIGTERM is PgBouncer's immediate shutdown) and remove the folder."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=15)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
