#!/bin/sh
# The compose `backup` service (image postgres:16): a pg_dump in custom format every day at
# BACKUP_TIME (UTC, HH:MM) into BACKUP_DIR, keeping BACKUP_KEEP_DAYS days. It connects as the
# read-only role buurtfonds_backup (libpq's PGHOST, PGUSER, PGPASSWORD, PGDATABASE): it can
# read every table and change none (docs/operations.md says why not the owner).
# Sessions are left out (their keys are cookies): a restore logs everyone out.
# A dump is written to a hidden .partial file, checked with pg_restore --list, then renamed:
# a file named buurtfonds-*.dump is complete. Old dumps are removed only after a new one
# succeeded, so a failing backup never deletes the last good one.
# With MEDIA_DIR (the private uploads, mounted read-only) a tar of it is written beside each
# dump under the same stamp: the database names those files, so both are needed to restore.
# BACKUP_ONCE=1 takes one dump and exits (a manual backup; the tests).
set -eu
BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
BACKUP_TIME=${BACKUP_TIME:-02:30}
BACKUP_ONCE=${BACKUP_ONCE:-0}
MEDIA_DIR=${MEDIA_DIR:-}
umask 077  # the dumps hold personal data: readable by this container's user only

log() {  # one JSON object per line, like the application's logs
    printf '{"time": "%s", "level": "%s", "event": "%s", "logger": "backup"%s}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "${3:-}"
}

backup() {
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    final="$BACKUP_DIR/buurtfonds-$stamp.dump"
    partial="$BACKUP_DIR/.buurtfonds-$stamp.dump.partial"
    started=$(date +%s)
    # Not the sessions' rows: a session's key is its cookie, so a dump holding them would log
    # its holder in as anyone active when it was taken. The table itself is dumped (empty).
    if pg_dump --format=custom --no-password --exclude-table-data=django_session \
        --file="$partial" \
        && pg_restore --list "$partial" >/dev/null; then
        mv "$partial" "$final"
        if [ -n "$MEDIA_DIR" ] && [ -d "$MEDIA_DIR" ]; then
            tar -czf "$BACKUP_DIR/.buurtfonds-media-$stamp.tar.gz.partial" -C "$MEDIA_DIR" . \
                && mv "$BACKUP_DIR/.buurtfonds-media-$stamp.tar.gz.partial" \
                    "$BACKUP_DIR/buurtfonds-media-$stamp.tar.gz" \
                || { log error media_backup_failed; return 1; }
        fi
        log info backup_written ", \"file\": \"$final\", \"bytes\": $(wc -c <"$final"), \"seconds\": $(($(date +%s) - started))"
        find "$BACKUP_DIR" -maxdepth 1 -type f \( -name 'buurtfonds-*.dump' -o -name 'buurtfonds-media-*.tar.gz' \) \
            -mtime "+$((BACKUP_KEEP_DAYS - 1))" ! -name "*$stamp*" -print | while read -r old; do
            rm -f "$old" && log info backup_removed ", \"file\": \"$old\""
        done
        return 0
    fi
    rm -f "$partial"
    log error backup_failed ", \"database\": \"${PGDATABASE:-}\""
    return 1
}

mkdir -p "$BACKUP_DIR"
if [ "$BACKUP_ONCE" = 1 ]; then
    backup
    exit $?
fi
# A first dump at once unless one from the last day is there (a restart does not pile them up).
if [ -z "$(find "$BACKUP_DIR" -maxdepth 1 -name 'buurtfonds-*.dump' -mmin -1440 | head -n 1)" ]; then
    backup || true
fi
while :; do
    now=$(date -u +%s)
    next=$(date -u -d "today $BACKUP_TIME" +%s)
    [ "$next" -gt "$now" ] || next=$((next + 86400))
    log info backup_scheduled ", \"at\": \"$(date -u -d "@$next" +%Y-%m-%dT%H:%M:%SZ)\""
    sleep $((next - now))
    backup || true
done
