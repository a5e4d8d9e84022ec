#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the engine-parity tests: Debian's package (installed when missing),
# listening on 127.0.0.1 only, data directory in a temporary folder, trust authentication for local users.
# Usage: scripts/postgres_server.sh start|status|stop. Port: $CHURN_WAREHOUSE_PG_PORT (default 54329). Idempotent.
set -euo pipefail

port=${CHURN_WAREHOUSE_PG_PORT:-54329}
data_dir=${CHURN_WAREHOUSE_PG_DATA:-/tmp/churn_warehouse_pg_$port}
bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
    if [ -z "$bin_dir" ] || [ ! -x "$bin_dir/initdb" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "postgres_server: PostgreSQL is missing; run as root to install Debian's package" >&2
            exit 1
        fi
        echo "postgres_server: installing Debian's postgresql package"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
        bin_dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    if as_postgres "$bin_dir/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
        exit 0
    fi
    rm -rf "$data_dir"
    mkdir -p "$data_dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data_dir"
    as_postgres "$bin_dir/initdb" -D "$data_dir" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
    as_postgres "$bin_dir/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $data_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c timezone=UTC" \
        start >/dev/null
    # The database the postgres target uses by default.
    as_postgres "$bin_dir/createdb" -h 127.0.0.1 -p "$port" -U postgres churn_warehouse
    echo "postgres_server: PostgreSQL $("$bin_dir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, database churn_warehouse (data in $data_dir)"
    ;;
status)
    [ -n "$bin_dir" ] && as_postgres "$bin_dir/pg_ctl" -D "$data_dir" status >/dev/null 2>&1
    ;;
stop)
    [ -n "$bin_dir" ] && as_postgres "$bin_dir/pg_ctl" -D "$data_dir" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$data_dir"
    ;;
*)
    echo "usage: $0 start|status|stop" >&2
    exit 2
    ;;
esac
