#!/bin/sh
# Run by the postgres image on the first start of an empty data volume. Creates the role that
# web, worker and beat connect as (compose.yaml's DATABASE_URL): it owns nothing and may not
# create anything; the `migrate` service, as the owner, grants it what it needs
# (backend/roles.py). For a volume made before this script existed, run the CREATE ROLE
# below once by hand (README, "Deployment").
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE buurtfonds_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
SQL
