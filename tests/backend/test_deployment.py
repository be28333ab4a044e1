"""The deployment starts: compose.yaml's environment, read the way compose reads it, runs the
production settings, and gunicorn serves the admin, its static files and Swagger UI."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml
from django.conf import settings

from tests.conftest import OWNER_ALIAS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
# What an operator must supply: every `${VAR:?...}` of compose.yaml.
OPERATOR = {
    "DJANGO_SECRET_KEY": "Zq8" + "x7Lm2Pa9Rt4Vb6Nc1" * 4,
    "DJANGO_ALLOWED_HOSTS": "buurtfonds.example.org",
    "RESIDENCE_CODE_KEY": "r" * 40,
    "BALLOT_KEY": "b" * 40,
    "POSTGRES_PASSWORD": "owner-secret",
    "POSTGRES_APP_PASSWORD": "app-secret",
    "POSTGRES_BACKUP_PASSWORD": "backup-secret",
}
_VARIABLE = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?)([-?])([^}]*))?\}|(\w+))")


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose's substitution: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}`` (also when
    empty), ``${VAR-default}`` (only when unset), ``${VAR:?error}`` and ``${VAR?error}``."""

    def one(match: re.Match[str]) -> str:
        escaped, name, colon, operator, argument, bare = match.groups()
        if escaped:
            return "$"
        value = variables.get(name or bare)
        missing = value is None or (colon == ":" and value == "")
        if operator == "-" and missing:
            return argument
        if operator == "?" and missing:
            raise LookupError(f"compose refuses to start: {name}: {argument}")
        return value or ""

    return _VARIABLE.sub(one, text)


def service_environment(name: str, variables: Mapping[str, str] = OPERATOR) -> dict[str, str]:
    return {
        key: interpolate(str(value), variables)
        for key, value in SERVICES[name].get("environment", {}).items()
    }


def on_loopback(environment: dict[str, str]) -> dict[str, str]:
    """The compose hosts ``postgres`` and ``redis`` replaced by this machine's servers: the
    database is the test database pytest-django made, as the role the suite runs as."""
    database = settings.DATABASES["default"]
    url = urlsplit(environment["DATABASE_URL"])
    assert (url.hostname, url.port) == ("postgres", 5432), url
    netloc = f"{database['USER']}:{database['PASSWORD']}@{database['HOST']}:{database['PORT']}"
    environment["DATABASE_URL"] = urlunsplit(url._replace(netloc=netloc, path=database["NAME"]))
    redis = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:63790/0")).netloc
    for key in ("CELERY_BROKER_URL", "CACHE_URL"):
        assert environment[key].startswith("redis://redis:6379/"), key
        environment[key] = environment[key].replace("redis:6379", redis)
    return environment


def process_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """Only what the container would have (and PATH): nothing leaks in from the test run."""
    return {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1", **environment}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {process.communicate()[0]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start listening")


def fetch(port: int, path: str, host: str) -> tuple[int, str, bytes]:
    """A request as the TLS-terminating proxy passes it on."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def _output(process: subprocess.Popen) -> str:
    process.terminate()
    return process.communicate(timeout=10)[0]


def gunicorn_command(port: int) -> list[str]:
    """The web service's command, bound to a loopback port, with one worker."""
    command = list(SERVICES["web"]["command"])
    assert command[0] == "gunicorn", command
    command[0] = str(Path(sys.executable).with_name("gunicorn"))
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    return command


@pytest.mark.postgres
@pytest.mark.django_db  # the migrated test database, which gunicorn's process reads too
def test_gunicorn_serves_the_admin_its_static_files_and_swagger_ui(tmp_path):
    environment = on_loopback(service_environment("web"))
    # The image collects static files when it is built; here into a directory of our own.
    environment["DJANGO_STATIC_ROOT"] = str(tmp_path / "static")
    environment["PRIVATE_MEDIA_ROOT"] = str(tmp_path / "private")
    env = process_environment(environment)
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert collect.returncode == 0, collect.stderr
    port = free_port()
    host = environment["DJANGO_ALLOWED_HOSTS"].split(",")[0]
    process = subprocess.Popen(
        gunicorn_command(port), cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_until_listening(port, process)
        health = fetch(port, "/api/v1/health/", host)
        assert health[0] == 200, (health, _output(process))

        status, _, login = fetch(port, "/admin/login/", host)
        assert status == 200, login[:500]
        css = re.findall(rb'href="(/static/admin/css/[^"]+\.css)"', login)
        assert css, login[:500]
        status, content_type, body = fetch(port, css[0].decode(), host)
        assert (status, content_type.split(";")[0]) == (200, "text/css"), css[0]
        assert body

        status, _, docs = fetch(port, "/api/v1/docs/", host)
        assert status == 200, docs[:500]
        assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', docs)
        assert any(b"swagger-ui" in asset for asset in assets), docs[:1000]
        for asset in assets:
            assert fetch(port, asset.decode(), host)[0] == 200, asset

        # Everything gunicorn and the application printed is JSON lines; the access log is
        # request_finished, with the request id and without gunicorn's own access line.
        lines = [json.loads(line) for line in _output(process).splitlines() if line.strip()]
        assert {line["logger"] for line in lines} >= {"gunicorn.error"}
        health_lines = [line for line in lines if line.get("request") == "GET /api/v1/health/"]
        assert [line["event"] for line in health_lines] == ["request_started", "request_finished"]
        assert health_lines[0]["request_id"] == health_lines[1]["request_id"]
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines = [ln for ln in dockerfile.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in joined.splitlines()
        if line.strip()
    ]


def test_the_private_media_volume_is_writable_by_the_containers_user():
    """A new named volume takes the ownership of the image's directory it is mounted on."""
    instructions = _instructions((ROOT / "Dockerfile").read_text())
    user_at = next(i for i, (op, _) in enumerate(instructions) if op == "USER")
    user = instructions[user_at][1].strip()
    before = " && ".join(args for op, args in instructions[:user_at] if op == "RUN")
    assert re.search(rf"useradd [^&]*--uid 1000 [^&]*\b{user}\b", before), before
    assert "mkdir -p /data/private" in before
    owner = re.search(r"chown (?:-R )?(\S+) /data/private\b", before)
    assert owner and owner.group(1).split(":")[0] in (user, "1000"), before
    for name in ("migrate", "web", "worker", "beat"):
        assert "private-media:/data/private" in SERVICES[name]["volumes"], name
        assert SERVICES[name]["environment"]["PRIVATE_MEDIA_ROOT"] == "/data/private", name


APP_SERVICES = ("migrate", "web", "worker", "beat")


def _readme_variables() -> dict[str, str]:
    """The README's configuration table: variable name -> its row."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return {
        m.group(1): m.group(0) for m in re.finditer(r"^\| `([A-Z][A-Z0-9_]+)` \|.*$", table, re.M)
    }


def test_each_app_service_passes_check_deploy_with_its_compose_environment():
    """What web, worker, beat and migrate would load at start, with only compose's values."""
    checks = {
        name: subprocess.Popen(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=process_environment(service_environment(name)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for name in APP_SERVICES
    }
    for name, process in checks.items():
        output = process.communicate(timeout=60)[0]
        assert process.returncode == 0, f"{name}: {output}"


def test_compose_refuses_to_start_without_each_secret():
    for secret in OPERATOR:
        without = {k: v for k, v in OPERATOR.items() if k != secret}
        with pytest.raises(LookupError, match=secret):
            for name in ("postgres", "backup", *APP_SERVICES):
                service_environment(name, without)


def test_every_variable_of_the_readme_reaches_the_app_containers():
    readme = _readme_variables()
    assert "DJANGO_DEBUG" in readme and "production settings ignore it" in readme["DJANGO_DEBUG"]
    needed = set(readme) - {"DJANGO_DEBUG", "DATABASE_OWNER_URL"}
    for name in APP_SERVICES:
        missing = needed - set(service_environment(name))
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_web_worker_and_beat_start_once_migrate_has_succeeded_as_the_owner():
    assert set(SERVICES) == {"postgres", "redis", "backup", *APP_SERVICES}
    postgres = service_environment("postgres")
    owner = postgres["POSTGRES_USER"]
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert urlsplit(service_environment("migrate")["DATABASE_OWNER_URL"]).username == owner
    for name in ("web", "worker", "beat"):
        service = SERVICES[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "migrate" not in " ".join(service["command"]), name
        # Only migrate knows the owner's password.
        environment = service_environment(name)
        assert "DATABASE_OWNER_URL" not in environment, name
        assert OPERATOR["POSTGRES_PASSWORD"] not in "".join(environment.values()), name
        assert environment["DJANGO_SETTINGS_MODULE"] == "backend.settings.production"
    assert "celery -A backend worker" in " ".join(SERVICES["worker"]["command"])
    assert "celery -A backend beat" in " ".join(SERVICES["beat"]["command"])
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in SERVICES[name], name


def test_the_postgres_service_creates_the_role_the_app_connects_as():
    app_role = urlsplit(service_environment("web")["DATABASE_URL"]).username
    assert app_role != service_environment("postgres")["POSTGRES_USER"]
    assert SERVICES["postgres"]["environment"]["POSTGRES_APP_PASSWORD"].startswith(
        "${POSTGRES_APP_PASSWORD:?"
    )
    mounts = dict(v.split(":", 1) for v in SERVICES["postgres"]["volumes"])
    initdb = next(
        host for host, target in mounts.items() if target.startswith("/docker-entrypoint-initdb.d")
    )
    scripts = sorted((ROOT / initdb).glob("*.sh"))
    assert scripts and all(os.access(script, os.X_OK) for script in scripts)
    sql = "\n".join(script.read_text() for script in scripts)
    assert re.search(rf"CREATE ROLE {app_role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE", sql)
    assert "$POSTGRES_APP_PASSWORD" in sql


def test_the_backup_service_dumps_daily_as_a_read_only_role_of_its_own():
    backup = service_environment("backup")
    postgres = service_environment("postgres")
    app_role = urlsplit(service_environment("web")["DATABASE_URL"]).username
    assert backup["PGUSER"] not in (postgres["POSTGRES_USER"], app_role)
    assert backup["PGPASSWORD"] == OPERATOR["POSTGRES_BACKUP_PASSWORD"]
    assert backup["PGDATABASE"] == postgres["POSTGRES_DB"]
    # Neither the owner's nor the application's password is in the backup container.
    for secret in ("POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD"):
        assert OPERATOR[secret] not in "".join(backup.values()), secret
    # Retention and time are the operator's to set.
    for variable, default in (("BACKUP_KEEP_DAYS", "14"), ("BACKUP_TIME", "02:30")):
        assert SERVICES["backup"]["environment"][variable] == f"${{{variable}:-{default}}}"
    assert backup["BACKUP_DIR"] == "/backups"
    assert "backups:/backups" in SERVICES["backup"]["volumes"]
    assert "private-media:/data/private:ro" in SERVICES["backup"]["volumes"]
    assert SERVICES["backup"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "./deploy/backup.sh:/usr/local/bin/buurtfonds-backup:ro" in SERVICES["backup"]["volumes"]
    assert SERVICES["backup"]["entrypoint"] == ["/bin/sh", "/usr/local/bin/buurtfonds-backup"]
    sql = (ROOT / "deploy" / "postgres-initdb" / "20-backup-role.sh").read_text()
    role = backup["PGUSER"]
    assert re.search(rf"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT", sql)
    assert f"GRANT pg_read_all_data TO {role}" in sql
    assert "pg_write_all_data" not in sql
    assert "$POSTGRES_BACKUP_PASSWORD" in sql


def _run_backup(directory: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """deploy/backup.sh once (BACKUP_ONCE=1) against the test database, as its owner."""
    database = settings.DATABASES[OWNER_ALIAS]
    environment = {
        "PATH": os.environ["PATH"],
        "PGHOST": str(database["HOST"]),
        "PGPORT": str(database["PORT"]),
        "PGUSER": str(database["USER"]),
        "PGPASSWORD": str(database["PASSWORD"]),
        "PGDATABASE": str(database["NAME"]),
        "BACKUP_DIR": str(directory),
        "BACKUP_ONCE": "1",
        **extra,
    }
    return subprocess.run(
        ["sh", str(ROOT / "deploy" / "backup.sh")], env=environment, capture_output=True, text=True
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_backup_writes_a_restorable_dump_and_keeps_only_the_days_it_is_told(tmp_path):
    backups = tmp_path / "backups"
    media = tmp_path / "media"
    (media / "receipts").mkdir(parents=True)
    (media / "receipts" / "bon.pdf").write_bytes(b"%PDF-1.4 receipt")
    backups.mkdir()
    old_dump, old_media = (
        backups / "buurtfonds-20200101T023000Z.dump",
        backups / ("buurtfonds-media-20200101T023000Z.tar.gz"),
    )
    recent = backups / "buurtfonds-20991231T023000Z.dump"
    for path, days in ((old_dump, 20), (old_media, 20), (recent, 2)):
        path.write_bytes(b"an earlier dump")
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))

    done = _run_backup(backups, BACKUP_KEEP_DAYS="14", MEDIA_DIR=str(media))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    written = next(line for line in lines if line["event"] == "backup_written")
    dump = Path(written["file"])
    assert dump.parent == backups and dump.name.startswith("buurtfonds-") and written["bytes"] > 0
    assert oct(dump.stat().st_mode & 0o777) == "0o600"  # personal data: the owner's only
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True)
    assert listing.returncode == 0 and "TABLE DATA public ledger_journalline" in listing.stdout
    tars = sorted(backups.glob("buurtfonds-media-*.tar.gz"))
    assert [t.name for t in tars] == [
        dump.name.replace("buurtfonds-", "buurtfonds-media-").replace(".dump", ".tar.gz")
    ]
    # Older than 14 days: removed, after the new dump succeeded; the recent one stays.
    assert not old_dump.exists() and not old_media.exists() and recent.exists()
    assert not list(backups.glob(".*partial"))


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_failed_backup_removes_nothing_and_says_so(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "buurtfonds-20200101T023000Z.dump"
    old.write_bytes(b"the last good dump")
    os.utime(old, (time.time() - 40 * 86400,) * 2)
    failed = _run_backup(backups, PGDATABASE="bf_no_such_database", BACKUP_KEEP_DAYS="1")
    assert failed.returncode != 0
    assert json.loads(failed.stdout.splitlines()[-1])["event"] == "backup_failed"
    assert old.exists() and [p.name for p in backups.iterdir()] == [old.name]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_holds_no_session_that_would_log_its_holder_in(tmp_path, client):
    """Django keeps a session's key, the cookie itself, in django_session: whoever holds a
    dump with that table's rows could be logged in as anyone active when it was taken (and
    keep the session alive, each request extending it). The table is in the dump, its rows
    are not; a restore logs everyone out, nothing else is lost."""
    from tests.community.factories import UserFactory

    client.force_login(UserFactory())
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/api/v1/auth/me/").status_code == 200
    backups = tmp_path / "backups"
    backups.mkdir()

    done = _run_backup(backups)
    assert done.returncode == 0, done.stderr
    dump = next(backups.glob("buurtfonds-*.dump"))
    everything = subprocess.run(["pg_restore", "-f", "-", str(dump)], capture_output=True)
    assert everything.returncode == 0 and b"community_user" in everything.stdout
    assert cookie.encode() not in everything.stdout
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True)
    assert "TABLE public django_session" in listing.stdout
    assert "TABLE DATA public django_session" not in listing.stdout
