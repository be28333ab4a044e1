"""Ledger benchmark on PostgreSQL (issue: posting rate, export memory and speed).

    DATABASE_URL=postgres://user:pass@127.0.0.1:5432/postgres .venv/bin/python benchmarks/ledger.py

It creates a throw-away database (test_<name>), migrates it, and prints:
  (a) 2-line entries posted through ledger.services.entry_post with the triggers on, one
      client, beside raw SQL inserts of the same rows (same triggers, one transaction each);
  (b) 1,000,000 journal lines exported to CSV and to XAF, each in its own process, with
      wall time and peak memory (ru_maxrss), beside PostgreSQL's COPY (SELECT ...) TO STDOUT
      of the same rows.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.test")


def setup_django() -> None:
    import django

    django.setup()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_export(fmt: str, year: int) -> None:
    """Run one export in this process, writing to /dev/null; print seconds and peak memory."""
    setup_django()
    from ledger import exports

    start = time.perf_counter()
    size = 0
    with open(os.devnull, "wb") as sink:
        for chunk in exports.export(year, fmt):
            sink.write(chunk)
            size += len(chunk)
    print(f"{time.perf_counter() - start:.3f} {peak_mb():.1f} {size}")


def child_copy(year: int) -> None:
    """PostgreSQL's COPY of the same rows, read by the client and thrown away."""
    setup_django()
    from django.db import connection

    sql = (
        "COPY (SELECT e.id, e.date, e.period, e.kind, e.description, a.code, a.name, l.side,"
        " l.amount_cents, p.code, m.ref, e.reverses_id FROM ledger_journalline l"
        " JOIN ledger_journalentry e ON e.id = l.entry_id JOIN ledger_account a ON a.id = l.account_id"
        " LEFT JOIN ledger_projectadministration p ON p.id = l.project_id"
        " LEFT JOIN ledger_earmark m ON m.id = l.earmark_id"
        f" WHERE e.fiscal_year = {int(year)} ORDER BY e.date, e.id, l.id) TO STDOUT WITH (FORMAT csv)"
    )
    start = time.perf_counter()
    size = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for chunk in copy:
            size += len(chunk)
    print(f"{time.perf_counter() - start:.3f} {peak_mb():.1f} {size}")


def run_child(args: list[str], database_url: str) -> tuple[float, float, int]:
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def bench_posting(entries: int) -> None:
    from django.db import connection

    from ledger.services import Line, entry_post

    lines = [Line("1000", "D", 12_50), Line("8100", "C", 12_50)]
    for i in range(50):  # warm up the connection and the account cache
        entry_post(lines=lines, idempotency_key=f"warm:{i}", kind="income", description="warm-up")
    start = time.perf_counter()
    for i in range(entries):
        entry_post(
            lines=lines, idempotency_key=f"svc:{i}", kind="income", description="Contributie"
        )
    service = entries / (time.perf_counter() - start)

    with connection.cursor() as cursor:
        cursor.execute("SELECT code, id FROM ledger_account WHERE code IN ('1000', '8100')")
        ids = dict(cursor.fetchall())
    raw = connection.connection  # psycopg connection, autocommit off per transaction below
    raw.autocommit = False
    start = time.perf_counter()
    with raw.cursor() as cursor:
        for i in range(entries):
            cursor.execute(
                "INSERT INTO ledger_journalentry (date, fiscal_year, period, kind, description,"
                " idempotency_key, cause, created_at) VALUES (current_date,"
                " extract(year from current_date), extract(month from current_date), 'income',"
                " 'Contributie', %s, '', now()) RETURNING id",
                [f"raw:{i}"],
            )
            entry_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO ledger_journalline (entry_id, account_id, side, amount_cents, currency)"
                " VALUES (%s, %s, 'D', 1250, 'EUR'), (%s, %s, 'C', 1250, 'EUR')",
                [entry_id, ids["1000"], entry_id, ids["8100"]],
            )
            raw.commit()
    raw_rate = entries / (time.perf_counter() - start)
    raw.autocommit = True
    print(f"(a) posting {entries} two-line entries, one client, triggers on")
    print(f"    through entry_post:  {service:8.0f} entries/s")
    print(
        f"    raw SQL inserts:     {raw_rate:8.0f} entries/s  (service = {service / raw_rate:.2f}x raw)"
    )


def load_lines(total_lines: int, year: int) -> None:
    """Bulk-load 2-line entries for the export benchmark (triggers off for the load only)."""
    from django.db import connection

    entries = total_lines // 2
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "INSERT INTO ledger_journalentry (date, fiscal_year, period, kind, description,"
            " idempotency_key, cause, created_at)"
            " SELECT make_date(%s, 1 + (g %% 12), 1 + (g %% 28)), %s, 1 + (g %% 12), 'income',"
            " 'Contributie lid ' || g, 'bulk:' || g, '', now() FROM generate_series(1, %s) g",
            [year, year, entries],
        )
        cursor.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, side, amount_cents, currency)"
            " SELECT e.id, a.id, s.side, 100 + (e.id %% 50000), 'EUR'"
            " FROM ledger_journalentry e"
            " CROSS JOIN (VALUES ('D', '1000'), ('C', '8100')) AS s(side, code)"
            " JOIN ledger_account a ON a.code = s.code WHERE e.idempotency_key LIKE 'bulk:%%'",
            [],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["csv", "xaf", "copy"])
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args()
    if args.child == "copy":
        return child_copy(args.year)
    if args.child:
        return child_export(args.child, args.year)

    setup_django()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{test_name}"
    try:
        bench_posting(args.entries)
        start = time.perf_counter()
        load_lines(args.lines, args.year)
        print(f"(b) loaded {args.lines} journal lines in {time.perf_counter() - start:.1f} s")
        copy_s, copy_mb, copy_bytes = run_child(["--child", "copy", "--year", str(args.year)], url)
        print(
            f"    COPY (SELECT ...) TO STDOUT: {copy_s:7.2f} s  peak {copy_mb:6.1f} MB  {copy_bytes / 1e6:.0f} MB out"
        )
        for fmt in ("csv", "xaf"):
            secs, mb, size = run_child(["--child", fmt, "--year", str(args.year)], url)
            ratio = f"  = {secs / copy_s:.2f}x COPY" if fmt == "csv" else ""
            print(
                f"    export {fmt:4}:                {secs:7.2f} s  peak {mb:6.1f} MB  {size / 1e6:.0f} MB out{ratio}"
            )
    finally:
        connection.close()
        connection.creation.destroy_test_db(test_name, verbosity=0)


if __name__ == "__main__":
    main()
