#!/bin/sh
# bench-load.sh SERVER_BIN BENCH_BIN: starts a fresh server on a free
# loopback port with a temporary data directory, runs the load tool in each
# mode and concurrency of BENCH_MATRIX, prints the tables and stops the server.
#
# Environment:
#   BENCH_MATRIX       "MODE:C ..." (default: cycle and heartbeat at C = 1, 8, 64)
#   BENCH_DURATION     per run (default 10s)
#   BENCH_CALIBRATE    how long the hello-world calibration runs first (default 5s)
#   BENCH_ARGS         extra load-tool flags (e.g. --json, -k 3)
#   BENCH_SERVER_ARGS  the backend's server flags (e.g. --database postgres://… --redis redis://…;
#                      bench-backend.sh sets them)
#   BENCH_SERVER_EXTRA more server flags (e.g. --database-max-conns 32 --redis-pool-size 64)
#   BENCH_LABEL        what to call the backend in the output instead of BENCH_SERVER_ARGS
#
# The server runs with --rate-limits=false: its default limits (per license
# key, per client IP, per session) would cap one loopback client at a few
# hundred requests a second, which measures the limiter, not the server.
set -euf # -f: no globbing of the unquoted BENCH_*ARGS (URLs hold "?")
server=$1
bench=$2
matrix=${BENCH_MATRIX:-"cycle:1 cycle:8 cycle:64 heartbeat:1 heartbeat:8 heartbeat:64"}
duration=${BENCH_DURATION:-10s}
email=bench@example.com
password=bench-password-$$

dir=$(mktemp -d "${TMPDIR:-/tmp}/coditect-bench.XXXXXX")
pid=
tool=
cleanup() {
	trap '' INT TERM HUP
	if [ -n "$tool" ]; then kill -TERM "$tool" 2>/dev/null || true; wait "$tool" 2>/dev/null || true; fi
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
# A signal ends the script (the EXIT trap cleans up) instead of resuming the
# matrix with the next run.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkfifo "$dir/out"
# shellcheck disable=SC2086
CODITECT_ADMIN_EMAIL=$email CODITECT_ADMIN_PASSWORD=$password \
	"$server" --listen 127.0.0.1:0 --data-dir "$dir/data" --rate-limits=false \
	--log-level warn ${BENCH_SERVER_ARGS:-} ${BENCH_SERVER_EXTRA:-} >"$dir/out" 2>"$dir/server.log" &
pid=$!
url=
exec 3<"$dir/out"
while IFS= read -r line <&3; do
	case $line in
	*"listening on "*) url=${line##*listening on }; break ;;
	esac
done
if [ -z "$url" ]; then
	echo "bench-load: the server did not start:" >&2
	cat "$dir/server.log" >&2
	exit 1
fi
# Keep draining the server's stdout so it never blocks.
cat <&3 >/dev/null &

backend=${BENCH_LABEL:-${BENCH_SERVER_ARGS:-embedded default: SQLite + in-memory ledger}}
echo "server: $url ($backend${BENCH_SERVER_EXTRA:+; $BENCH_SERVER_EXTRA}), rate limits off"
# How fast is this machine? The targets were set where this answers about
# 55,000 requests/s at C = 64 (docs/benchmarks.md).
"$bench" --mode hello -c 64 --duration "${BENCH_CALIBRATE:-5s}" &
wait $!
for run in $matrix; do
	mode=${run%%:*}
	c=${run##*:}
	echo
	# In the background, so that a signal to this script is handled at once
	# (a shell runs traps only between foreground commands).
	# shellcheck disable=SC2086
	CODITECT_ADMIN_EMAIL=$email CODITECT_ADMIN_PASSWORD=$password \
		"$bench" --url "$url" --mode "$mode" -c "$c" --duration "$duration" ${BENCH_ARGS:-} &
	tool=$!
	status=0
	wait "$tool" || status=$?
	tool=
	[ "$status" -eq 0 ] || exit "$status"
done
