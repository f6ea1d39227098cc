#!/bin/sh
# bench-backend.sh BACKEND SERVER_BIN BENCH_BIN: sets up a scale-out backend,
# runs bench-load.sh against a server on it and tears the backend down again,
# on success, on failure and on Ctrl-C alike. BACKEND is
#
#   redis    a fresh PostgreSQL database + one redis-server
#   cluster  a fresh PostgreSQL database + a Redis Cluster of three masters
#
# The database is created in the PostgreSQL at CODITECT_TEST_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, a
# URL whose user may create databases) and dropped at the end. The
# redis-servers listen on free loopback ports, without persistence, with
# their files in a temporary directory.
#
# Environment: BENCH_MATRIX, BENCH_DURATION and BENCH_ARGS as for
# bench-load.sh, and
#   BENCH_SERVER_EXTRA  more server flags (e.g. --database-max-conns 32 --redis-pool-size 64)
#
# Needs psql (PostgreSQL 13 or later), redis-server, redis-cli, python3 and ps.
set -euf
if [ $# -ne 3 ]; then
	echo "usage: $0 redis|cluster SERVER_BIN BENCH_BIN" >&2
	exit 2
fi
backend=$1
server=$2
bench=$3
here=$(dirname "$0")
base=${CODITECT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}

case $backend in
redis) nodes=1 cluster=0 ;;
cluster) nodes=3 cluster=1 ;;
*)
	echo "bench-backend: unknown backend \"$backend\", want redis or cluster" >&2
	exit 2
	;;
esac
for tool in psql redis-server redis-cli python3 ps; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench-backend: $tool is not installed (Debian packages: postgresql-client, redis-server, python3, procps)" >&2
		exit 1
	fi
done

psql_base() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$base" "$@"
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/coditect-bench-backend.XXXXXX")
db=
redis_pids=
load=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	trap '' INT TERM HUP
	set +e
	if [ -n "$load" ]; then
		kill -TERM "$load" 2>/dev/null
		wait "$load" 2>/dev/null
	fi
	for p in $redis_pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $redis_pids; do wait "$p" 2>/dev/null; done
	# FORCE: a server that did not stop in time must not keep the database.
	if [ -n "$db" ] && ! psql_base -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; then
		echo "bench-backend: could not drop database $db; drop it by hand" >&2
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# free_port prints a loopback port nobody listens on, chosen by the kernel.
# A cluster node also needs its bus port, port + 10000, free and valid.
free_port() {
	python3 - "$cluster" <<'EOF'
import socket, sys

cluster = sys.argv[1] == "1"
held = []
for _ in range(100):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    port = s.getsockname()[1]
    if not cluster:
        break
    if port + 10000 > 65535:
        continue
    bus = socket.socket()
    try:
        bus.bind(("127.0.0.1", port + 10000))
    except OSError:
        continue
    finally:
        bus.close()
    break
else:
    sys.exit("found no free port pair for a cluster node")
print(port)
EOF
}

# alive tells whether process $1 runs (a zombie does not).
alive() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	'' | Z*) return 1 ;;
	esac
}

# start_redis starts a redis-server on a free port, sets port, and waits
# until it answers PING. It tries three ports: another process may take one
# between the probe and the start.
start_redis() {
	for _ in 1 2 3; do
		port=$(free_port)
		set --
		if [ "$cluster" = 1 ]; then
			set -- --cluster-enabled yes --cluster-config-file "$dir/nodes-$port.conf" --cluster-node-timeout 5000
		fi
		redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
			--daemonize no --dir "$dir" "$@" >"$dir/redis-$port.log" 2>&1 &
		pid=$!
		redis_pids="$redis_pids $pid"
		i=0
		while [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" != PONG ]; do
			if ! alive "$pid"; then
				break
			fi
			i=$((i + 1))
			if [ "$i" -ge 500 ]; then # 10 s
				echo "bench-backend: redis-server on 127.0.0.1:$port does not answer" >&2
				exit 1
			fi
			sleep 0.02
		done
		if alive "$pid"; then
			return 0
		fi
		echo "bench-backend: redis-server on 127.0.0.1:$port exited:" >&2
		cat "$dir/redis-$port.log" >&2
	done
	exit 1
}

# db_url prints the base URL with its database replaced by $1.
db_url() {
	scheme=${base%%://*}
	rest=${base#*://}
	authority=${rest%%[/?]*}
	query=
	case $rest in
	*\?*) query="?${rest#*\?}" ;;
	esac
	printf '%s://%s/%s%s\n' "$scheme" "$authority" "$1" "$query"
}

name=coditect_bench_$(date +%Y%m%d_%H%M%S)_$$
psql_base -c "CREATE DATABASE \"$name\""
db=$name

addrs=
n=0
while [ "$n" -lt "$nodes" ]; do
	start_redis
	addrs="$addrs 127.0.0.1:$port"
	n=$((n + 1))
done
addrs=${addrs# }

if [ "$cluster" = 1 ]; then
	# shellcheck disable=SC2086
	if ! redis-cli --cluster create $addrs --cluster-replicas 0 --cluster-yes \
		>"$dir/cluster-create.log" 2>&1 </dev/null; then
		echo "bench-backend: redis-cli --cluster create failed:" >&2
		cat "$dir/cluster-create.log" >&2
		exit 1
	fi
	for addr in $addrs; do
		i=0
		until redis-cli -h 127.0.0.1 -p "${addr##*:}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; do
			i=$((i + 1))
			if [ "$i" -ge 600 ]; then # 30 s
				echo "bench-backend: cluster node $addr is not ok after 30 s:" >&2
				redis-cli -h 127.0.0.1 -p "${addr##*:}" cluster info >&2
				exit 1
			fi
			sleep 0.05
		done
	done
	redis=redis+cluster://$(echo "$addrs" | tr ' ' ',')
	label="PostgreSQL (database $db) + Redis Cluster of 3 masters ($addrs)"
else
	redis=redis://$addrs/0
	label="PostgreSQL (database $db) + Redis ($addrs)"
fi

BENCH_SERVER_ARGS="--database $(db_url "$db") --redis $redis"
BENCH_LABEL=$label
export BENCH_SERVER_ARGS BENCH_LABEL
# In the background, so that a signal to this script is handled at once.
"$here/bench-load.sh" "$server" "$bench" &
load=$!
status=0
wait "$load" || status=$?
load=
exit "$status"
