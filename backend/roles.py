"""The database defends the books against the application.

web, worker and beat connect as the application's role (DATABASE_URL); migrations run as the
role that owns the tables (DATABASE_OWNER_URL). After every ``migrate`` the owner grants the
application's role what it needs and nothing more:

- SELECT, INSERT, UPDATE and DELETE on ordinary tables, and the sequences behind their ids;
- only SELECT and INSERT on journal entries, journal lines, audit events and the SEPA files
  of exported payout batches, so that neither
  a bug nor an attacker holding the application's password can rewrite history. Triggers
  refuse the same (ledger migration 0002, community migration 0002), but an owner can switch
  triggers off: the application's role owns nothing;
- on audit events, UPDATE of the actor column alone: deleting a user forgets who acted
  (``on_delete=SET_NULL``), and the trigger lets that change through and no other;
- TRUNCATE on no table at all;
- on the books' dimensions, what posting needs and no more: periods may be added and closed
  (UPDATE of ``closed_at`` and ``closed_by`` only; a trigger keeps a closed period closed),
  earmarks and project administrations only added (UPDATE of an earmark's name, which a
  trigger refuses to change, lets a posting lock its pot's row), accounts added and switched
  on or off, never retyped or renumbered; bank statements and their lines only added (a
  line's match and handling may be updated, never what the bank said);
- no temporary tables: a temporary table named like one of ours would come first in the
  search path of a function that does not fix it (every trigger function does, below);
- the same on tables that later migrations create (default privileges).

With one role (no DATABASE_OWNER_URL, or SQLite) this does nothing.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connections

# Models whose rows are written once and never changed or removed.
APPEND_ONLY = (
    "ledger.JournalEntry",
    "ledger.JournalLine",
    "community.AuditEvent",
    "grants.PayoutFile",
)
BANK_LINE_HANDLING = (
    "match",
    "payout_item",
    "application",
    "fund",
    "entry",
    "note",
    "handled_by",
    "handled_at",
)
# The books' dimensions: (model, the columns the application's role may update).
BOOK_DIMENSIONS = (
    ("ledger.FiscalPeriod", ("closed_at", "closed_by")),
    ("ledger.Earmark", ("name",)),
    ("ledger.ProjectAdministration", ()),
    ("ledger.Account", ("active",)),
    # The bank's statements as imported: only what matching and the treasurer decide changes.
    ("banking.BankStatement", ()),
    ("banking.BankLine", BANK_LINE_HANDLING),
)


def application_role_grant(*, using: str = "default", apps: Any = global_apps) -> bool:
    """Grant the application's role its privileges; False when there is no separate role."""
    connection = connections[using]
    role = settings.DATABASE_APP_ROLE
    if connection.vendor != "postgresql" or not role:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        current_user, schema = cursor.fetchone()
        if role == current_user:
            return False
        q = connection.ops.quote_name
        app, schema = q(role), q(schema)
        append_only = ", ".join(q(apps.get_model(label)._meta.db_table) for label in APPEND_ONLY)
        audit = apps.get_model("community", "AuditEvent")._meta
        dml = "SELECT, INSERT, UPDATE, DELETE"
        for sql in (
            f"GRANT {dml} ON ALL TABLES IN SCHEMA {schema} TO {app}",
            f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} FROM {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {dml} ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
            # Revoking a table's privilege revokes its column privileges too: this goes first.
            f"REVOKE ALL ON {append_only} FROM {app}",
            f"GRANT SELECT, INSERT ON {append_only} TO {app}",
            f"GRANT UPDATE ({q(audit.get_field('actor').column)}) ON {q(audit.db_table)} TO {app}",
        ):
            cursor.execute(sql)
        for label, columns in BOOK_DIMENSIONS:
            meta = apps.get_model(label)._meta
            table = q(meta.db_table)
            cursor.execute(f"REVOKE ALL ON {table} FROM {app}")
            cursor.execute(f"GRANT SELECT, INSERT ON {table} TO {app}")
            if columns:
                names = ", ".join(q(meta.get_field(c).column) for c in columns)
                cursor.execute(f"GRANT UPDATE ({names}) ON {table} TO {app}")
        database = q(connection.settings_dict["NAME"])
        cursor.execute(f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC")
        cursor.execute(f"REVOKE TEMPORARY ON DATABASE {database} FROM {app}")
    return True


def trigger_functions_pin_search_path(*, using: str = "default") -> int:
    """Every trigger function of our schema runs with ``pg_catalog, public, pg_temp`` as its
    search path, whatever the session's: nobody can slip a temporary table named like ours
    in front of the one a trigger reads. Returns how many functions it set."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND p.prorettype = 'trigger'::regtype"
            " AND pg_get_userbyid(p.proowner) = current_user"
        )
        functions = [row[0] for row in cursor.fetchall()]
        for function in functions:
            cursor.execute(
                f"ALTER FUNCTION {function} SET search_path = pg_catalog, public, pg_temp"
            )
    return len(functions)


def grant_after_migrate(*, using: str, apps: Any = global_apps, **kwargs: Any) -> None:
    """post_migrate receiver: every migrate ends with the privileges as described above."""
    trigger_functions_pin_search_path(using=using)
    application_role_grant(using=using, apps=apps)
