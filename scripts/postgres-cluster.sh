#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, CI and benchmarks: no system service, no systemd.
#
#   scripts/postgres-cluster.sh start DIR   initdb into DIR/data, start on a free loopback port
#                                           (and a unix socket in DIR); prints the admin URL
#                                           postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/postgres-cluster.sh stop DIR    stop it and remove DIR
#   scripts/postgres-cluster.sh url DIR     print the admin URL of a running cluster again
#
# Trust authentication on loopback only (the cluster listens on 127.0.0.1 and a socket in DIR).
# initdb refuses to run as root, so as root the server runs as user `postgres`.
# PG_BIN overrides where initdb/pg_ctl live (default: the newest /usr/lib/postgresql/*/bin).
# PG_FAST=1 turns durability off (fsync, full-page writes) and allows more connections: for
# tests, never for benchmarks.
# Used by .ci/run (the test database) and bench/postgres.ts (the benchmarks' private cluster).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop|url DIR" >&2
  exit 2
fi

if [[ -z "${PG_BIN:-}" ]]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [[ -z "${PG_BIN:-}" || ! -x "$PG_BIN/initdb" ]]; then
  echo "postgres-cluster: no PostgreSQL binaries (install the postgresql package or set PG_BIN)" >&2
  exit 3
fi

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync --no-instructions >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    # Stock settings apart from where it listens (benchmarks report what a default install gives).
    opts="-c listen_addresses=127.0.0.1 -p $port -k $dir"
    if [[ "${PG_FAST:-}" == 1 ]]; then
      opts="$opts -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300"
    fi
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$opts" start >/dev/null \
      || { cat "$dir/postgres.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  url)
    echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop|url DIR" >&2
    exit 2
    ;;
esac
