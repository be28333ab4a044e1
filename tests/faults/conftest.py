"""What the fault tests run against: their OWN PostgreSQL cluster (initdb'd here, so it can be
restarted without touching anyone else's), their own Redis, Celery workers and a gunicorn
app server as separate processes that the tests kill and restart, and localstripe.

They run only with FAULTS=1 (.ci/faults sets it, with DATABASE_URL/DATABASE_OWNER_URL on the
throwaway cluster's port); then a missing binary fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "63803"))
APP_PORT = int(os.environ.get("FAULTS_APP_PORT", "18003"))
LOCALSTRIPE_VENV = Path(os.environ.get("LOCALSTRIPE_VENV", "/tmp/buurtfonds-localstripe"))
# Short, so that a task taken by a killed worker is handed out again within seconds.
VISIBILITY_TIMEOUT = 3

FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("fault test figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def figures() -> Callable[[str], None]:
    return FIGURES.append


def _need(path: Path | str | None, what: str) -> str:
    if not path or not Path(path).exists():
        pytest.fail(f"FAULTS=1 but {what} is missing ({path}); .ci/run installs it")
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, seconds: float = 15) -> None:
    """Signal a process started in its own session, with all its children."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(seconds)


# -- PostgreSQL: a cluster of our own ---------------------------------------------------------


class Cluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:<port>, owned by the postgres user."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="bf_faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *command], capture_output=True, timeout=120)
        if done.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise AssertionError(
                f"{' '.join(command)} failed ({done.returncode}): "
                f"{done.stdout.decode(errors='replace')}{done.stderr.decode(errors='replace')}\n{log}"
            )

    def init(self) -> None:
        self._run(
            str(PG_BIN / "initdb"),
            "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        )  # fmt: skip
        # In its configuration, so that every later start (the tests stop and start it)
        # listens on the same port, on loopback only.
        settings_file = self.data / "postgresql.auto.conf"
        self._run("sh", "-c", f"cat >> {settings_file} <<'EOF'\n"
                  f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                  f"unix_socket_directories = '{self.root}'\nEOF")  # fmt: skip
        self.start()
        # The two roles of deploy/postgres-initdb and .ci/run: the owner migrates, the app
        # role is what web and worker connect as.
        for sql in (
            "CREATE ROLE buurtfonds LOGIN SUPERUSER PASSWORD 'buurtfonds'",
            "CREATE ROLE buurtfonds_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
            "PASSWORD 'buurtfonds_app'",
        ):
            self._run(str(PG_BIN / "psql"), "-h", str(self.root), "-p", str(self.port),
                      "-U", "postgres", "-d", "postgres", "-qc", sql)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def start(self) -> None:
        # The port is in the machine's ephemeral range: while some client's connection
        # happens to hold it as its own end, the bind fails (.ci/faults reserves it).
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w"]
        for attempt in range(120):
            try:
                self._run(*command, "-t", "60", "start")
                return
            except AssertionError as exc:
                if "Address already in use" not in str(exc) or attempt == 119:
                    raise
                time.sleep(0.25)

    def remove(self) -> None:
        with suppress(AssertionError):
            self.stop("fast")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("FAULTS=1 needs DATABASE_URL on the fault tests' own cluster (.ci/faults)")
    if database.get("HOST") not in ("127.0.0.1", "localhost"):
        pytest.fail("the fault tests' cluster listens on 127.0.0.1 only")
    _need(PG_BIN / "initdb", "PostgreSQL's initdb")
    cluster = Cluster(int(database["PORT"]))
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def django_db_setup(pg_cluster: Cluster, django_db_setup: None) -> Iterator[None]:
    """The cluster first; then pytest-django creates and migrates the test database in it
    as the owner (tests/conftest.py)."""
    yield


def database_url(*, owner: bool = False) -> str:
    """The test database, as the app role (or the owner), for processes started here."""
    alias = settings.DATABASES["owner" if owner else "default"]
    return (
        f"postgres://{alias['USER']}:{alias['PASSWORD']}@{alias['HOST']}:{alias['PORT']}/"
        f"{connection.settings_dict['NAME']}"
    )


# -- Redis, localstripe ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    server = _need(shutil.which("redis-server"), "redis-server")
    process = subprocess.Popen(
        [server, "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        wait_for(answers, "Redis", 20)
        yield f"redis://127.0.0.1:{REDIS_PORT}/0"
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """localstripe (GPL, a separate process from its own venv) bound to loopback only."""
    python = _need(LOCALSTRIPE_VENV / "bin" / "python", "localstripe's venv")
    port = _free_port()
    log = open(Path(tempfile.gettempdir()) / "bf_faults-localstripe.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            python,
            "-c",
            "from aiohttp import web; from localstripe.server import app; "
            f"web.run_app(app, host='127.0.0.1', port={port})",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"{url}/v1/customers", timeout=1)  # nosec B310
            return True
        except urllib.error.HTTPError:
            return True  # it answers (without a key: 401)
        except OSError:
            return process.poll() is not None  # died: fail below instead of waiting on
        return False

    try:
        wait_for(answers, "localstripe", 30)
        assert process.poll() is None, "localstripe did not start"
        yield url
    finally:
        _stop(process)
        log.close()


# -- Celery workers --------------------------------------------------------------------------


class Worker:
    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "backend", "worker",
                 "--loglevel", "INFO", "--concurrency", "1", "--hostname", f"{name}@faults",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        """kill -9 the worker and its pool processes at once: nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(15)

    def stop(self) -> None:
        _stop(self.process)


class Faults:
    """Pause points to arm, workers to start and kill, tasks to send through the broker."""

    def __init__(self, pause_dir: Path, env: dict[str, str], redis_url: str) -> None:
        self.pause_dir = pause_dir
        self.env = env
        self.redis_url = redis_url
        self.workers: list[Worker] = []

    def arm(self, point: str) -> None:
        (self.pause_dir / f"{point}.pause").touch()

    def disarm(self, point: str) -> None:
        (self.pause_dir / f"{point}.pause").unlink()

    def wait_reached(self, point: str, seconds: float = 90) -> None:
        reached = self.pause_dir / f"{point}.reached"
        try:
            wait_for(reached.exists, f"the worker to reach {point}", seconds)
        except AssertionError:
            logs = "\n".join(w.text()[-3000:] for w in self.workers)
            raise AssertionError(f"{point} never reached; worker logs:\n{logs}") from None

    def worker(self, name: str) -> Worker:
        env = {**self.env, "STRIPE_API_BASE": settings.STRIPE_API_BASE}
        worker = Worker(name, env, self.pause_dir / f"{name}.log")
        self.workers.append(worker)
        return worker

    @contextmanager
    def via_broker(self) -> Iterator[None]:
        """Tasks queued in here go to Redis, for the workers, instead of running in-process."""
        from backend.celery import app

        def fresh_pools() -> None:  # built again, for the broker in force, when next used
            app._pool = None
            app.amqp._producer_pool = None

        before = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
        app.conf.update(task_always_eager=False, broker_url=self.redis_url)
        fresh_pools()
        try:
            yield
        finally:
            app.conf.update(before)
            fresh_pools()


@pytest.fixture
def faults(
    transactional_db: None, redis_url: str, tmp_path: Path, settings: Any
) -> Iterator[Faults]:
    """Requested after the database, so its workers are gone before the tables are emptied."""
    pause_dir = Path(tempfile.mkdtemp(prefix="bf_faults-pause-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "backend.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "FAULT_PAUSE_DIR": str(pause_dir),
        # The same keys as this process (tests/settings): ballots sealed here open there.
        "BALLOT_KEY": settings.BALLOT_KEY,
        "RESIDENCE_CODE_KEY": settings.RESIDENCE_CODE_KEY,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }
    # Whatever an earlier test left in the broker is not this test's business.
    with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=5) as s:
        s.sendall(b"FLUSHALL\r\n")
        s.recv(16)
    helper = Faults(pause_dir, env, redis_url)
    yield helper
    for worker in helper.workers:
        worker.stop()
    shutil.rmtree(pause_dir, ignore_errors=True)
