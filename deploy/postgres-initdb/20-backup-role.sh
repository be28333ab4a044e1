#!/bin/sh
# Run by the postgres image on the first start of an empty data volume. Creates the role the
# `backup` service dumps as: it may read every table (pg_read_all_data, PostgreSQL 14+) and
# write none, and owns nothing; its password is the backup service's alone. For a volume made
# before this script existed, run the statements below once by hand (docs/operations.md).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v backup_password="$POSTGRES_BACKUP_PASSWORD" <<'SQL'
CREATE ROLE buurtfonds_backup LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT PASSWORD :'backup_password';
GRANT pg_read_all_data TO buurtfonds_backup;
ALTER ROLE buurtfonds_backup SET default_transaction_read_only = on;
SQL
