#!/usr/bin/env bash
# `make dev-split`: a local split deployment to try Manifold's scale-out
# mode on one machine. It starts, on loopback ports:
#   - a Consul agent in dev mode (.cache/bin/consul, from `make tools`),
#   - a Temporal dev server (.cache/bin/temporal),
#   - one manifold process per service (keyvault, quota, prompts, audit,
#     workflows) and two routers, all registered in Consul and sharing one
#     PostgreSQL database,
# prints the addresses, and stops everything it started on Ctrl-C.
#
# Knobs (environment): DEV_SPLIT_DATABASE_URL, a PostgreSQL server URL whose
# database is replaced by DEV_SPLIT_DB (default manifold_dev, created when
# missing; default server postgres://postgres@127.0.0.1:5432/postgres);
# DEV_SPLIT_PORT, the first of the ports used (default 18000: Consul HTTP
# on it, routers on +80 and +81, other services on +101...). State (logs,
# data directories and the generated secrets, kept between runs so the key
# vault can read what it wrote) lives in .cache/dev-split.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/.cache/dev-split
PORT=${DEV_SPLIT_PORT:-18000}
SERVER_URL=${DEV_SPLIT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=${DEV_SPLIT_DB:-manifold_dev}

for tool in consul temporal; do
	if [[ ! -x .cache/bin/$tool ]]; then
		echo "dev-split: .cache/bin/$tool is missing: run make tools" >&2
		exit 1
	fi
done
if ! [[ $DB =~ ^[a-z_][a-z0-9_]*$ ]]; then
	echo "dev-split: DEV_SPLIT_DB=$DB: want a lowercase SQL identifier" >&2
	exit 1
fi
mkdir -p "$STATE/logs"

echo "dev-split: building bin/manifold"
(cd services && go build -o ../bin/manifold ./cmd/manifold)

# Secrets generated once and kept: the key vault's master key must stay the
# same for the data already written with it.
if [[ ! -f $STATE/secrets.env ]]; then
	umask 077
	{
		echo "MANIFOLD_MASTER_KEY=$(head -c32 /dev/urandom | base64)"
		echo "MANIFOLD_ADMIN_TOKEN=dev-admin-$(head -c12 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
		echo "MANIFOLD_INTERNAL_TOKEN=dev-internal-$(head -c12 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
	} >"$STATE/secrets.env"
fi
set -a
# shellcheck source=/dev/null
source "$STATE/secrets.env"
set +a

# The database: created when missing.
if ! psql "$SERVER_URL" -Atqc "SELECT 1" >/dev/null 2>&1; then
	echo "dev-split: PostgreSQL is not reachable at $SERVER_URL (set DEV_SPLIT_DATABASE_URL)" >&2
	exit 1
fi
if [[ -z $(psql "$SERVER_URL" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
	psql "$SERVER_URL" -qc "CREATE DATABASE $DB" >/dev/null
fi
DATABASE_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$SERVER_URL" "$DB")

PIDS=()
stop() {
	trap - INT TERM EXIT
	if ((${#PIDS[@]})); then
		echo
		echo "dev-split: stopping"
		# Routers first, so they drain while the services they call are up.
		for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
			kill -TERM "${PIDS[i]}" 2>/dev/null || true
			wait "${PIDS[i]}" 2>/dev/null || true
		done
	fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# wait_port HOST:PORT NAME LOG: wait (bounded) until something listens.
wait_port() {
	local addr=$1 name=$2 log=$3 i
	for ((i = 0; i < 600; i++)); do
		if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "${PIDS[-1]}" 2>/dev/null; then
			echo "dev-split: $name exited; its log ($log):" >&2
			tail -n 20 "$log" >&2
			exit 1
		fi
		sleep 0.1 # polling interval
	done
	echo "dev-split: $name did not listen on $addr within 60s; see $log" >&2
	exit 1
}

CONSUL=127.0.0.1:$PORT
.cache/bin/consul agent -dev -node manifold-dev -bind 127.0.0.1 -client 127.0.0.1 \
	-http-port "$PORT" -grpc-port -1 -grpc-tls-port -1 -dns-port -1 \
	-serf-lan-port $((PORT + 1)) -serf-wan-port $((PORT + 2)) -server-port $((PORT + 3)) \
	-log-level warn >"$STATE/logs/consul.log" 2>&1 &
PIDS+=($!)
wait_port "$CONSUL" consul "$STATE/logs/consul.log"

TEMPORAL=127.0.0.1:$((PORT + 33))
.cache/bin/temporal server start-dev --headless --ip 127.0.0.1 --port $((PORT + 33)) \
	--http-port $((PORT + 34)) --metrics-port $((PORT + 35)) \
	--db-filename "$STATE/temporal.db" --log-level error >"$STATE/logs/temporal.log" 2>&1 &
PIDS+=($!)
wait_port "$TEMPORAL" temporal "$STATE/logs/temporal.log"

# serve NAME SERVICES PORT [FLAGS...]
serve() {
	local name=$1 services=$2 addr=127.0.0.1:$3
	shift 3
	mkdir -p "$STATE/data/$name"
	bin/manifold serve --services "$services" --addr "$addr" --data-dir "$STATE/data/$name" \
		--database-url "$DATABASE_URL" --consul.addr "$CONSUL" --log.format text "$@" \
		>"$STATE/logs/$name.log" 2>&1 &
	PIDS+=($!)
	wait_port "$addr" "$name" "$STATE/logs/$name.log"
	printf '  %-10s http://%s\n' "$name" "$addr"
}

echo "dev-split: Consul UI http://$CONSUL/ui, Temporal $TEMPORAL, PostgreSQL database $DB"
serve keyvault keyvault $((PORT + 101))
serve quota quota $((PORT + 102))
serve prompts prompts $((PORT + 103))
serve audit audit $((PORT + 104))
serve workflows workflows $((PORT + 105)) --temporal.address "$TEMPORAL"
serve router-1 router $((PORT + 80))
serve router-2 router $((PORT + 81))

cat <<MSG

dev-split: running; logs in .cache/dev-split/logs. Ctrl-C stops everything.
Admin token: $MANIFOLD_ADMIN_TOKEN (from .cache/dev-split/secrets.env)

  bin/manifold keys create --server http://127.0.0.1:$((PORT + 101)) --token \$MANIFOLD_ADMIN_TOKEN --name try --team dev --models '*'
  curl http://127.0.0.1:$((PORT + 80))/v1/chat/completions -H "Authorization: Bearer <the key's secret>" \\
    -H 'Content-Type: application/json' -d '{"model":"demo","messages":[{"role":"user","content":"Hello"}]}'
MSG

# Until Ctrl-C, or until a process exits on its own.
wait -n "${PIDS[@]}" || true
echo "dev-split: a process exited; see .cache/dev-split/logs" >&2
