#!/bin/sh
# Restore into a scratch directory, start the copy on a spare port with a minimal configuration, wait
# for its promotion, run one query, then stop and remove it. Read by the backup and site scenarios'
# tests and run as postgres (sh -eu) with these variables set:
#   OPTS   pgbackrest restore options (--type=time --target=... --repo=2 ...), word-split
#   QUERY  the query to run on the promoted copy
#   CONF   optional: a pgBackRest configuration file other than the default
set -eu
scratch=/var/tmp/pgw-scratch
run=/var/tmp/pgw-scratch-run
# The binaries of the local server's major version, else (a repository host) the newest installed.
v=$(psql -XAtq -d postgres -c 'SHOW server_version_num' 2>/dev/null | cut -c1-2) || v=
bin=/usr/lib/postgresql/$v/bin
if [ -z "$v" ]; then for bin in /usr/lib/postgresql/*/bin; do :; done; fi
rm -rf "$scratch" "$run"
mkdir -m 700 "$scratch" "$run"
touch "$run/postgresql.conf" "$run/pg_ident.conf"
echo 'local all all peer' > "$run/pg_hba.conf"
eval "pgbackrest ${CONF:+--config=$CONF} --stanza=main --pg1-path=$scratch $OPTS --archive-mode=off restore"
stop() { "$bin/pg_ctl" -D "$scratch" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$scratch" "$run"; }
trap stop EXIT
# hot_standby=off: the copy replays to its target without taking connections (a raised max_connections
# in the backup would otherwise pause recovery for good).
"$bin/pg_ctl" -D "$scratch" -l "$run/log" -w -t 300 -o "-c config_file=$run/postgresql.conf -c hba_file=$run/pg_hba.conf \
  -c ident_file=$run/pg_ident.conf -c port=5498 -c listen_addresses= -c unix_socket_directories=$run \
  -c archive_mode=off -c ssl=off -c hot_standby=off" start >/dev/null || { cat "$run/log"; exit 1; }
for _ in $(seq 300); do
  [ "$(psql -XAtq -h "$run" -p 5498 -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
  sleep 1
done
psql -XAtq -h "$run" -p 5498 -d postgres -c "$QUERY" || { tail -n 20 "$run/log"; exit 1; }
