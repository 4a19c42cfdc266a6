#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A throwaway PostgreSQL 15 + PostGIS server for the tests, listening only on 127.0.0.1.
#
#   pgserver.sh start DIR [--owner PID]
#       initdb into DIR/data, start the server on a free port, create the database
#       gridpart_test with the postgis extension, print the GDAL connection string and write it to
#       DIR/conninfo (DIR/env holds the same as shell exports: GP_PG, PGHOST, PGPORT, PGUSER,
#       PGDATABASE). With --owner, a watchdog stops the server once process PID is gone, even
#       if it was killed with SIGKILL. Fails, saying why and showing the server log, when the
#       server cannot start (within about 10 s).
#   pgserver.sh stop DIR
#       stop the server in DIR (if any) and remove everything start made there, DIR included
#       when it is then empty; exits 0 unless something could not be removed. Stopping a DIR
#       with no server, or no DIR, is not an error.
#   pgserver.sh exec DIR CMD [ARG...]
#       run CMD against the running server in DIR, with the variables of DIR/env exported.
#   pgserver.sh with [--load FILE[=TABLE]]... [--] CMD [ARG...]
#       start a server in a new temporary folder, load each FILE (its single layer, keeping its
#       SRID and feature ids) into TABLE (default: the file's name without extension) with
#       ogr2ogr, run CMD with the variables of DIR/env exported, and stop the server on every
#       exit path (CMD's failure, a signal). Exits with CMD's status.
#
# Run as root (as CI does), the server runs as the `postgres` system user (initdb and postgres
# refuse root), which must be able to reach DIR: DIR is handed to it. As any other user it runs
# as that user. Authentication is `trust` on 127.0.0.1 for the database user `gridpart`; no Unix
# socket is made. PG_BINDIR overrides /usr/lib/postgresql/15/bin; PG_PORT is the first port tried.
# With PGSERVER_CACHE=FOLDER, the first start keeps a stopped copy of its fresh cluster there
# (one per PostgreSQL and PostGIS version and user) and later starts copy it instead of running
# initdb and CREATE EXTENSION postgis, which take most of the time of a start (seconds on a
# busy machine). Delete the folder at will.
#
# Other tests reuse it from meson, e.g. (tests/postgis/meson.build defines pgserver_sh,
# pg_demo_load, the --load arguments of the demo's three layers, and pg_cache):
#   test('my_pg_test', pgserver_sh, args: ['with'] + pg_demo_load + ['--', files('my.sh')],
#        env: {'PGSERVER_CACHE': pg_cache})
# and my.sh reads the connection string from $GP_PG (psql works as is: PG* are set). By hand:
#   tests/postgis/pgserver.sh start /tmp/pg && tests/postgis/pgserver.sh exec /tmp/pg \
#       sh -c 'ogrinfo -so "$GP_PG"'; tests/postgis/pgserver.sh stop /tmp/pg
set -uo pipefail

bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
self=$(readlink -f "$0")
db=gridpart_test
dbuser=gridpart

die() {
    echo "pgserver: $*" >&2
    exit 1
}

usage() {
    sed -n '3,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$self" >&2
    exit 2
}

# Run a command as the user that owns the cluster (postgres when we are root).
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# The environment given to clients: variables that could point libpq elsewhere are dropped.
client_env() {
    env -u PGSERVICE -u PGSERVICEFILE -u PGPASSFILE -u PGPASSWORD -u PGHOSTADDR \
        -u PGOPTIONS -u PGSSLMODE "$@"
}

port_in_use() {
    # A connection that succeeds means something listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

log_tail() {
    [ -f "$1" ] && { echo "--- $1 (last lines):" >&2; tail -n 15 "$1" >&2; }
    return 0
}

# Start the cluster in DIR/data on a free port and print the port. The port is chosen at
# random below Linux's ephemeral range (32768-60999, so that outgoing connections do not hold
# it); one taken between the check and the start shows in the log, and another is tried.
start_cluster() {
    local dir=$1 attempt candidate
    # Throwaway data: no durability, little memory, TCP on 127.0.0.1 only.
    local opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
    opts+=" -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB"
    opts+=" -c max_connections=20 -c max_wal_senders=0 -c wal_level=minimal"
    for attempt in 1 2 3 4 5 6 7 8; do
        candidate=$(( 20000 + (RANDOM * 32768 + RANDOM + $$ * 7919) % 12000 ))
        [ "$attempt" != 1 ] || candidate=${PG_PORT:-$candidate}
        port_in_use "$candidate" && continue
        as_owner rm -f "$dir/server.log"
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 10 -s \
                -o "$opts -c port=$candidate" start >"$dir/pg_ctl.log" 2>&1; then
            echo "$candidate"
            return 0
        fi
        if ! grep -q -E "could not (bind|create any TCP/IP)|[Aa]ddress already in use" \
                "$dir/server.log" 2>/dev/null; then
            cat "$dir/pg_ctl.log" >&2
            log_tail "$dir/server.log"
            die "the server in $dir/data did not start (attempt $attempt, port $candidate)"
        fi
        echo "pgserver: port $candidate is taken, trying another" >&2
    done
    die "no free port found in 8 attempts"
}

create_database() {
    local dir=$1 conn="host=127.0.0.1 port=$2 user=$dbuser"
    if ! client_env PGCONNECT_TIMEOUT=5 "$bindir/psql" "$conn dbname=postgres" -X -q \
            -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >"$dir/psql.log" 2>&1 ||
       ! client_env PGCONNECT_TIMEOUT=5 "$bindir/psql" "$conn dbname=$db" -X -q \
            -v ON_ERROR_STOP=1 -c "CREATE EXTENSION postgis" >>"$dir/psql.log" 2>&1; then
        cat "$dir/psql.log" >&2
        log_tail "$dir/server.log"
        die "the server started on port $2 but the database $db with PostGIS could not be" \
            "created"
    fi
}

# Where a template cluster for this PostgreSQL, PostGIS and user lives in $PGSERVER_CACHE.
template_path() {
    local pg postgis
    pg=$("$bindir/postgres" --version 2>/dev/null | awk '{print $3}')
    postgis=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$1/extension/postgis.control")
    [ -n "$pg" ] && [ -n "$postgis" ] || return 0
    echo "$PGSERVER_CACHE/pg$pg-postgis$postgis-uid$(id -u)"
}

# Copy a stopped cluster to TEMPLATE, atomically: a template is complete or absent, and when
# two starts race, the first copy stays.
publish_template() {
    local data=$1 template=$2 tmp
    mkdir -p "$PGSERVER_CACHE" 2>/dev/null || return 0
    tmp=$(mktemp -d "$PGSERVER_CACHE/.new.XXXXXX") || return 0
    if cp -a "$data/." "$tmp/" && rm -f "$tmp/postmaster.pid" && chmod 700 "$tmp" &&
            { [ "$(id -u)" != 0 ] || chown postgres: "$tmp"; } &&
            mv -T "$tmp" "$template" 2>/dev/null; then
        return 0
    fi
    rm -rf "$tmp"
}

cmd_start() {
    local dir=${1:-} owner=""
    [ -n "$dir" ] || usage
    shift
    while [ $# -gt 0 ]; do
        case $1 in
            --owner) owner=${2:-}; shift 2 || usage ;;
            *) usage ;;
        esac
    done
    local b
    for b in initdb pg_ctl psql; do
        [ -x "$bindir/$b" ] || die "no $bindir/$b: install postgresql-15 (see .ci/packages)" \
                                   "or set PG_BINDIR"
    done
    local share
    share=$("$bindir/pg_config" --sharedir 2>/dev/null || echo /usr/share/postgresql/15)
    [ -f "$share/extension/postgis.control" ] ||
        die "PostGIS is not installed for PostgreSQL 15 ($share/extension/postgis.control" \
            "is absent): install postgresql-15-postgis-3"
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd)
    [ ! -e "$dir/data" ] || die "$dir/data exists: a server was started there and not" \
                                "stopped; run: $self stop $dir"
    if [ "$(id -u)" = 0 ]; then
        id -u postgres >/dev/null 2>&1 ||
            die "running as root, the server must run as the postgres system user, which" \
                "does not exist (install postgresql-15)"
        chown postgres: "$dir" || die "cannot hand $dir to the postgres user"
        as_owner test -w "$dir" -a -x "$dir" ||
            die "the postgres user cannot reach $dir: every folder above it must be" \
                "searchable by others (use a folder under /tmp)"
    fi
    # From here on, a failure removes what was made.
    trap 'cmd_stop "$dir" >/dev/null 2>&1' EXIT
    local template="" port=""
    [ -z "${PGSERVER_CACHE:-}" ] || template=$(template_path "$share")
    if [ -n "$template" ] && [ -f "$template/PG_VERSION" ] &&
            cp -a "$template" "$dir/data" 2>/dev/null; then
        if ! port=$(start_cluster "$dir" 2>"$dir/template.log"); then
            cat "$dir/template.log" >&2
            echo "pgserver: the cached cluster $template did not start: making a new one" >&2
            rm -rf "$template"
            port=""
        fi
    fi
    if [ -z "$port" ]; then
        rm -rf "$dir/data"
        if ! as_owner "$bindir/initdb" -D "$dir/data" -U "$dbuser" -A trust -E UTF8 \
                --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
            log_tail "$dir/initdb.log"
            die "initdb failed in $dir/data"
        fi
        port=$(start_cluster "$dir") || exit 1
        create_database "$dir" "$port"
        # A clean copy of this cluster spares the next start initdb and CREATE EXTENSION.
        if [ -n "$template" ] &&
                as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 10 -s stop >/dev/null; then
            publish_template "$dir/data" "$template"
            port=$(start_cluster "$dir") || exit 1
        fi
    fi
    local conn="host=127.0.0.1 port=$port user=$dbuser"
    echo "PG:$conn dbname=$db" >"$dir/conninfo"
    printf 'export GP_PG=%q PGHOST=127.0.0.1 PGPORT=%s PGUSER=%s PGDATABASE=%s\n' \
        "PG:$conn dbname=$db" "$port" "$dbuser" "$db" >"$dir/env"
    if [ -n "$owner" ]; then
        # Out of the caller's session and with no descriptor of its, so that a test runner
        # killing the caller's process group spares it and waits for nothing.
        setsid bash "$self" watch "$dir" "$owner" </dev/null >/dev/null 2>&1 &
    fi
    trap - EXIT
    cat "$dir/conninfo"
}

cmd_watch() {
    local dir=$1 owner=$2
    echo $$ >"$dir/watchdog.pid"
    # /proc rather than kill -0, which fails for another user's process (root's, say).
    while [ -d "/proc/$owner" ] && [ -f "$dir/conninfo" ]; do
        sleep 1
    done
    cmd_stop "$dir"
}

cmd_stop() {
    local dir=${1:-}
    [ -n "$dir" ] || usage
    [ -d "$dir" ] || return 0
    local pid
    if [ -f "$dir/watchdog.pid" ]; then
        pid=$(cat "$dir/watchdog.pid")
        # Unless the watchdog is the one stopping.
        if [ "$pid" != "$$" ] && grep -q pgserver "/proc/$pid/cmdline" 2>/dev/null; then
            kill "$pid" 2>/dev/null
        fi
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        pid=$(head -n 1 "$dir/data/postmaster.pid")
        if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 -s stop \
                >/dev/null 2>&1; then
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -rf "$dir/data" "$dir/server.log" "$dir/initdb.log" "$dir/pg_ctl.log" "$dir/psql.log" \
           "$dir/template.log" "$dir/conninfo" "$dir/env" "$dir/watchdog.pid"
    rmdir "$dir" 2>/dev/null
    if [ -e "$dir/data" ]; then
        echo "pgserver: could not remove $dir/data" >&2
        return 1
    fi
    return 0
}

cmd_exec() {
    local dir=${1:-}
    [ -n "$dir" ] && [ $# -ge 2 ] || usage
    shift
    [ -f "$dir/env" ] || die "no server running in $dir (no $dir/env)"
    # shellcheck source=/dev/null
    . "$dir/env"
    exec "$@"
}

cmd_with() {
    local loads=()
    while [ $# -gt 0 ]; do
        case $1 in
            --load) [ $# -ge 2 ] || usage; loads+=("$2"); shift 2 ;;
            --) shift; break ;;
            -*) usage ;;
            *) break ;;
        esac
    done
    [ $# -ge 1 ] || usage
    local spec
    for spec in "${loads[@]}"; do
        [ -f "${spec%%=*}" ] || die "--load: no file ${spec%%=*}"
    done
    local dir conn child=""
    dir=$(mktemp -d "${TMPDIR:-/tmp}/gridpart-pg.XXXXXX") || die "cannot make a temporary folder"
    # shellcheck disable=SC2064
    trap "cmd_stop '$dir'" EXIT
    # A signal ends the command and then this script, whose EXIT trap stops the server.
    trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; exit 129' HUP
    trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; exit 130' INT
    trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; exit 143' TERM
    local t0=$SECONDS
    conn=$(cmd_start "$dir" --owner $$) || exit 1
    echo "pgserver: $conn (started in $((SECONDS - t0)) s)" >&2
    local file table
    for spec in "${loads[@]}"; do
        file=${spec%%=*}
        table=${spec#*=}
        [ "$spec" != "$file" ] || table=$(basename "${file%.*}")
        client_env ogr2ogr -f PostgreSQL "$conn" "$file" -nln "$table" -preserve_fid \
            -lco GEOMETRY_NAME=geom -lco FID=fid ||
            die "ogr2ogr could not load $file into table $table"
    done
    # shellcheck source=/dev/null
    . "$dir/env"
    # In the background, so that the signal traps run at once rather than after the command.
    "$@" &
    child=$!
    wait "$child"
    local rc=$?
    child=""
    exit $rc
}

case ${1:-} in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    exec) shift; cmd_exec "$@" ;;
    with) shift; cmd_with "$@" ;;
    watch) shift; cmd_watch "$@" ;;
    *) usage ;;
esac
