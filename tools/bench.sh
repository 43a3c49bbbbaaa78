#!/usr/bin/env bash
# `make bench`: the gateway's speed against two floors, on loopback.
#
# One zero-latency OpenAI emulator is called five ways — directly, through
# Debian's nginx, through a bare Go httputil.ReverseProxy, through
# `manifold serve` (all-in-one) and through a router process alone with the
# other services in a second process (split mode) — with the same
# chat-completions request, as JSON and as a stream. For each: requests/s and the target's CPU time per request at
# $BENCH_CONNECTIONS connections, then latency p50/p99 at one connection and
# what the target adds over calling the emulator directly. The whole matrix
# runs BENCH_ROUNDS times, interleaved, and each figure is the best of the
# rounds, so a burst of unrelated load on the machine hits one round of a few
# rows rather than a whole row. The table goes to stdout and to
# docs/BENCHMARKS.md with verdicts against the targets of the issue.
# Everything started here is stopped on exit; the run takes about 6 minutes.
#
# Knobs (environment), per round and case: BENCH_WARMUP (s, default 1),
# BENCH_DURATION (s at N connections, default 5), BENCH_LATENCY_DURATION (s at
# one connection, default 3); BENCH_ROUNDS (default 3), BENCH_CONNECTIONS
# (default 50), BENCH_QUIET_WAIT (s to wait for an idle machine, default 30),
# BENCH_OUT (default docs/BENCHMARKS.md), BENCH_PROFILE=0 skips the perf
# profile of the gateway.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
LAT_DURATION=${BENCH_LATENCY_DURATION:-3}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-50}
OUT=${BENCH_OUT:-docs/BENCHMARKS.md}
PROFILE=${BENCH_PROFILE:-1}

EMU_ADDR=127.0.0.1:19001
NGINX_ADDR=127.0.0.1:19002
PROXY_ADDR=127.0.0.1:19003
GW_ADDR=127.0.0.1:19004
SVC_ADDR=127.0.0.1:19005
RT_ADDR=127.0.0.1:19006
EMU_KEY=sk-bench-emulator-key
GW_MODEL=bench-model
EMU_MODEL=gpt-4o-mini

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------

find_nginx() { command -v nginx || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || true; }
missing=()
[[ -n "$(find_nginx)" ]] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
if ((${#missing[@]})); then
	sudo=()
	[[ $(id -u) == 0 ]] || sudo=(sudo)
	log "installing ${missing[*]} with apt"
	"${sudo[@]}" apt-get update -qq || die "apt-get update failed; install ${missing[*]} by hand"
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed; install them by hand"
fi
NGINX=$(find_nginx)
[[ -n "$NGINX" ]] || die "nginx is not installed"
command -v wrk >/dev/null || die "wrk is not installed"

for addr in $EMU_ADDR $NGINX_ADDR $PROXY_ADDR $GW_ADDR $SVC_ADDR $RT_ADDR; do
	if (exec 3<>"/dev/tcp/${addr%:*}/${addr#*:}") 2>/dev/null; then
		die "$addr is already in use; stop what listens there"
	fi
done

log "building bin/manifold, bin/bench-emulator, bin/benchproxy"
(
	cd services
	go build -o ../bin/manifold ./cmd/manifold
	go build -o ../bin/bench-emulator ./internal/emulator/cmd/emulator
	go build -o ../bin/benchproxy ./internal/benchproxy
) || die "build failed"

# --- processes ---------------------------------------------------------------

TMP=$(mktemp -d -t manifold-bench.XXXXXX)
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_port ADDR NAME: until something listens on ADDR (10 s).
wait_port() {
	local addr=$1 name=$2 i
	for i in $(seq 100); do
		if (exec 3<>"/dev/tcp/${addr%:*}/${addr#*:}") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "$name did not listen on $addr within 10s; its log: $(tail -n 20 "$TMP/$name.log" 2>/dev/null)"
}

bin/bench-emulator --addr "$EMU_ADDR" --api-key "$EMU_KEY" >"$TMP/emulator.log" 2>&1 &
EMU_PID=$!
PIDS+=("$EMU_PID")
wait_port "$EMU_ADDR" emulator

mkdir -p "$TMP/nginx"
cat >"$TMP/nginx.conf" <<EOF
# The nginx floor: one worker, upstream keep-alive, no buffering (streams
# pass through as they come), no access log. Requests per connection are not
# capped, as Go servers do not cap them either.
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    keepalive_requests 1000000;
    upstream emulator {
        server $EMU_ADDR;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen $NGINX_ADDR;
        location / {
            proxy_pass http://emulator;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
"$NGINX" -e "$TMP/nginx.log" -c "$TMP/nginx.conf" -g 'daemon off;' >>"$TMP/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_port "$NGINX_ADDR" nginx

bin/benchproxy --addr "$PROXY_ADDR" --upstream "http://$EMU_ADDR" >"$TMP/benchproxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
wait_port "$PROXY_ADDR" benchproxy

cat >"$TMP/bench.yaml" <<EOF
# One OpenAI provider (the emulator) and one model routed to it.
catalog:
  providers:
    - name: emu
      kind: openai
      base_url: http://$EMU_ADDR/v1
      credentials: [{name: emu-key}]
  models:
    - name: $GW_MODEL
      provider: emu
      upstream_model: $EMU_MODEL
  credentials:
    - name: emu-key
      api_key_env: BENCH_EMU_KEY
EOF
# As shipped: keys required (a virtual key made with the CLI), quota
# admission, the call log to the audit service on SQLite, metrics.
ADMIN_TOKEN=bench-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
BENCH_EMU_KEY=$EMU_KEY MANIFOLD_ADMIN_TOKEN=$ADMIN_TOKEN bin/manifold serve --addr "$GW_ADDR" --data-dir "$TMP/data" \
	--log.level warn --config "$TMP/bench.yaml" >"$TMP/manifold.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
wait_port "$GW_ADDR" manifold
GW_KEY=$(bin/manifold keys create --server "http://$GW_ADDR" --token "$ADMIN_TOKEN" --name bench --user bench \
	--models "$GW_MODEL" | sed -n 's/^secret: //p')
[[ $GW_KEY == mk-* ]] || die "could not create a virtual key for the benchmark"

# Split mode without Consul: the key vault, quota, prompts and audit in one
# process (SQLite), a router alone in another, reaching them at fixed
# addresses with the internal token.
INTERNAL_TOKEN=bench-internal-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
MANIFOLD_ADMIN_TOKEN=$ADMIN_TOKEN MANIFOLD_INTERNAL_TOKEN=$INTERNAL_TOKEN bin/manifold serve --addr "$SVC_ADDR" \
	--data-dir "$TMP/split-services" --services keyvault,quota,prompts,audit --log.level warn >"$TMP/split-services.log" 2>&1 &
SVC_PID=$!
PIDS+=("$SVC_PID")
wait_port "$SVC_ADDR" split-services
BENCH_EMU_KEY=$EMU_KEY MANIFOLD_ADMIN_TOKEN=$ADMIN_TOKEN MANIFOLD_INTERNAL_TOKEN=$INTERNAL_TOKEN bin/manifold serve \
	--addr "$RT_ADDR" --data-dir "$TMP/split-router" --services router --keyvault.addr "$SVC_ADDR" --quota.addr "$SVC_ADDR" \
	--prompts.addr "$SVC_ADDR" --calllog.audit-addr "$SVC_ADDR" --log.level warn --config "$TMP/bench.yaml" >"$TMP/split-router.log" 2>&1 &
RT_PID=$!
PIDS+=("$RT_PID")
wait_port "$RT_ADDR" split-router
RT_KEY=$(bin/manifold keys create --server "http://$SVC_ADDR" --token "$ADMIN_TOKEN" --name bench-split --user bench \
	--models "$GW_MODEL" | sed -n 's/^secret: //p')
[[ $RT_KEY == mk-* ]] || die "could not create a virtual key for the split benchmark"

# --- checks ------------------------------------------------------------------

TARGETS=(direct nginx goproxy manifold split)
declare -A URL=([direct]=http://$EMU_ADDR [nginx]=http://$NGINX_ADDR [goproxy]=http://$PROXY_ADDR [manifold]=http://$GW_ADDR [split]=http://$RT_ADDR)
declare -A MODEL=([direct]=$EMU_MODEL [nginx]=$EMU_MODEL [goproxy]=$EMU_MODEL [manifold]=$GW_MODEL [split]=$GW_MODEL)
# The emulator checks its own key; the gateway checks the virtual key and
# sends the emulator's key upstream itself.
declare -A KEY=([direct]=$EMU_KEY [nginx]=$EMU_KEY [goproxy]=$EMU_KEY [manifold]=$GW_KEY [split]=$RT_KEY)
declare -A LABEL=([direct]="emulator, direct" [nginx]="nginx $("$NGINX" -v 2>&1 | sed 's,.*/,,')" [goproxy]="Go httputil.ReverseProxy" [manifold]="manifold"
	[split]="manifold router (split)")

# pids TARGET: the processes whose CPU time counts for TARGET.
pids() {
	case $1 in
	direct) echo "$EMU_PID" ;;
	nginx) echo "$NGINX_PID" $(ps -o pid= --ppid "$NGINX_PID") ;;
	goproxy) echo "$PROXY_PID" ;;
	manifold) echo "$GW_PID" ;;
	split) echo "$RT_PID" ;; # the services' process is reported on its own
	esac
}

# cpu_ticks PID...: user + system clock ticks of the processes so far.
cpu_ticks() {
	local p sum=0 t
	for p in "$@"; do
		t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat") || die "process $p is gone"
		sum=$((sum + t))
	done
	echo "$sum"
}
HZ=$(getconf CLK_TCK)

# Exactly the bytes tools/bench.lua sends, for the checks below.
body() { # MODEL STREAM
	local b='{"model":"'$1'","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello to the benchmark in a few words."}],"max_tokens":64,"temperature":0'
	[[ $2 == 1 ]] && b+=',"stream":true,"stream_options":{"include_usage":true}'
	echo "$b}"
}

# check TARGET STREAM: one request answers 200 with a whole answer.
check() {
	local t=$1 s=$2 code out="$TMP/check-$1-$2"
	code=$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
		-H "Authorization: Bearer ${KEY[$t]}" --data-binary "$(body "${MODEL[$t]}" "$s")" \
		"${URL[$t]}/v1/chat/completions") || code=000
	if [[ $code != 200 ]]; then
		die "$t answered HTTP $code to POST /v1/chat/completions (stream=$s): $(head -c 400 "$out" 2>/dev/null)"
	fi
	if [[ $s == 1 ]]; then
		grep -q '^data: \[DONE\]' "$out" && grep -q '"usage":{' "$out" && grep -q 'Echo' "$out" ||
			die "$t's stream lacks content, usage or [DONE]: $(head -c 400 "$out")"
	else
		grep -q '"choices"' "$out" && grep -q 'Echo' "$out" ||
			die "$t's JSON answer lacks choices: $(head -c 400 "$out")"
	fi
}
for t in "${TARGETS[@]}"; do
	check "$t" 0
	check "$t" 1
done
log "all five targets answer JSON and streams"

# --- load --------------------------------------------------------------------

THREADS=$(nproc)
((THREADS > 4)) && THREADS=4
((THREADS > CONNS)) && THREADS=$CONNS

# wrk_run TARGET STREAM CONNS THREADS SECONDS: prints wrk's BENCH line.
wrk_run() {
	local out
	out=$(BENCH_MODEL=${MODEL[$1]} BENCH_KEY=${KEY[$1]} BENCH_STREAM=$2 \
		wrk -t"$4" -c"$3" -d"$5"s --timeout 5s -s tools/bench.lua "${URL[$1]}/v1/chat/completions") ||
		die "wrk against $1 failed: $out"
	grep '^BENCH ' <<<"$out" || die "wrk printed no summary: $out"
}

declare -A R # R[target/mode/field]
parse() { # KEY LINE
	local kv
	for kv in $2; do
		[[ $kv == *=* ]] && R[$1/${kv%%=*}]=${kv#*=}
	done
}

# busy_cpus SECONDS: CPUs' worth of work the machine did meanwhile (our
# servers are idle when this runs, so it is other processes' load).
busy_cpus() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	awk -v a="$a" -v b="$b" -v hz="$HZ" -v s="$1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f", (y[1] - x[1]) / hz / s }'
}

# A busy machine makes every row slower and noisier; wait a little for a
# quiet moment and record what was seen.
OTHER_LOAD=$(busy_cpus 1)
for _ in $(seq "${BENCH_QUIET_WAIT:-30}"); do
	awk -v b="$OTHER_LOAD" 'BEGIN { exit !(b < 0.2) }' && break
	log "waiting for a quiet machine: other processes use $OTHER_LOAD CPUs"
	OTHER_LOAD=$(busy_cpus 1)
done

# measure ROUND TARGET STREAM: one warm-up, one window at $CONNS connections
# (requests/s, CPU per request), one at a single connection (latency).
measure() {
	local r=$1 t=$2 s=$3 mode=json k procs before after line errors svc_before
	[[ $s == 1 ]] && mode=stream
	k=$t/$mode/$r
	wrk_run "$t" "$s" "$CONNS" "$THREADS" "$WARMUP" >/dev/null
	procs=$(pids "$t")
	before=$(cpu_ticks $procs)
	[[ $t == split ]] && svc_before=$(cpu_ticks "$SVC_PID")
	line=$(wrk_run "$t" "$s" "$CONNS" "$THREADS" "$DURATION")
	after=$(cpu_ticks $procs)
	parse "$k/c" "$line"
	R[$k/cpu_us]=$(awk -v d=$((after - before)) -v hz="$HZ" -v n="${R[$k/c/requests]}" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }')
	if [[ $t == split ]]; then
		R[$k/svc_cpu_us]=$(awk -v d=$(($(cpu_ticks "$SVC_PID") - svc_before)) -v hz="$HZ" -v n="${R[$k/c/requests]}" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }')
	fi
	R[$k/rps]=$(awk -v n="${R[$k/c/requests]}" -v us="${R[$k/c/duration_us]}" 'BEGIN { printf "%.0f", n * 1e6 / us }')
	line=$(wrk_run "$t" "$s" 1 1 "$LAT_DURATION")
	parse "$k/1" "$line"
	errors=$((${R[$k/c/errors]} + ${R[$k/1/errors]}))
	((errors == 0)) || die "$t $mode: $errors failed requests (non-2xx: $((${R[$k/c/non2xx]} + ${R[$k/1/non2xx]})))"
	log "round $r, $t $mode: ${R[$k/rps]} req/s, ${R[$k/cpu_us]} µs CPU/req; at 1 connection p50 ${R[$k/1/p50_us]} µs, p99 ${R[$k/1/p99_us]} µs"
}

# best TARGET MODE FIELD max|min: the best of the rounds.
best() {
	local r v out=""
	for r in $(seq "$ROUNDS"); do
		v=${R[$1/$2/$r/$3]}
		if [[ -z $out ]] || awk -v v="$v" -v o="$out" -v m="$4" 'BEGIN { exit !((m == "max") ? v > o : v < o) }'; then
			out=$v
		fi
	done
	echo "$out"
}

START=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS
for r in $(seq "$ROUNDS"); do
	for t in "${TARGETS[@]}"; do
		measure "$r" "$t" 0
		measure "$r" "$t" 1
	done
done
LOAD_TIME=$((SECONDS - T0))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
for t in "${TARGETS[@]}"; do
	for m in json stream; do
		R[$t/$m/rps]=$(best "$t" "$m" rps max)
		R[$t/$m/cpu_us]=$(best "$t" "$m" cpu_us min)
		R[$t/$m/1/p50_us]=$(best "$t" "$m" 1/p50_us min)
		R[$t/$m/1/p99_us]=$(best "$t" "$m" 1/p99_us min)
		R[$t/$m/c/p50_us]=$(best "$t" "$m" c/p50_us min)
		R[$t/$m/c/p99_us]=$(best "$t" "$m" c/p99_us min)
	done
done
for m in json stream; do
	R[split/$m/svc_cpu_us]=$(best split "$m" svc_cpu_us min)
done

# Where the gateway's CPU goes: a short perf profile under the JSON load.
PERF_SELF=""
PERF_CUM=""
if [[ $PROFILE == 1 ]] && command -v perf >/dev/null; then
	log "profiling manifold for 5s under JSON load (perf)"
	BENCH_MODEL=$GW_MODEL BENCH_KEY=$GW_KEY BENCH_STREAM=0 \
		wrk -t"$THREADS" -c"$CONNS" -d7s -s tools/bench.lua "${URL[manifold]}/v1/chat/completions" >/dev/null &
	wrk_pid=$!
	sleep 1
	if perf record -q -F 499 -g -o "$TMP/perf.data" -p "$GW_PID" -- sleep 5 >/dev/null 2>&1; then
		# Symbol and percentages only (perf pads with empty columns).
		tidy() { awk '{ sub(/[[:space:]]+-[[:space:]]+-[[:space:]]*$/, ""); sub(/[[:space:]]+$/, ""); if ($0 != "") print }'; }
		PERF_SELF=$(perf report -q -i "$TMP/perf.data" --stdio --no-children --sort dso,symbol -g none --percent-limit 1 2>/dev/null |
			tidy | head -n 25 || true)
		PERF_CUM=$(perf report -q -i "$TMP/perf.data" --stdio --children --sort symbol -g none --percent-limit 3 2>/dev/null |
			tidy | grep -v '\[k\]' | head -n 60 || true)
	fi
	wait "$wrk_pid" || true
fi

cleanup
trap - EXIT

# --- router surface micro-benchmarks -----------------------------------------

GOBENCH=""
if grep -qs '^func Benchmark' services/router/openaiapi/*_test.go; then
	log "go test -bench . -benchmem ./router/openaiapi"
	GOBENCH=$(cd services && timeout 180 go test -run '^$' -bench . -benchmem ./router/openaiapi 2>&1) ||
		die "router surface benchmarks failed: $GOBENCH"
fi

# --- report ------------------------------------------------------------------

f() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
added() { # TARGET MODE PCT
	[[ $1 == direct ]] && { echo "—"; return; }
	echo $((${R[$1/$2/1/${3}_us]} - ${R[direct/$2/1/${3}_us]}))
}
# verdict LABEL VALUE OP LIMIT: "met" when VALUE OP LIMIT holds.
verdict() {
	local ok
	ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { print ((op == ">=" && v >= l) || (op == "<=" && v <= l)) ? "met" : "**not met**" }')
	printf '| %s | %s | %s %s | %s |\n' "$1" "$2" "$3" "$4" "$ok"
}

# verdicts TARGET: TARGET's rows of a targets table, JSON and streams.
verdicts() {
	local m
	for m in json stream; do
		verdict "$m: req/s @$CONNS ≥ Go proxy" "${R[$1/$m/rps]}" ">=" "${R[goproxy/$m/rps]}"
		verdict "$m: req/s @$CONNS ≥ 0.4 × nginx" "${R[$1/$m/rps]}" ">=" "$(f "$(awk -v x="${R[nginx/$m/rps]}" 'BEGIN { print 0.4 * x }')")"
		verdict "$m: CPU µs/req ≤ 1.2 × Go proxy" "${R[$1/$m/cpu_us]}" "<=" "$(awk -v x="${R[goproxy/$m/cpu_us]}" 'BEGIN { printf "%.1f", 1.2 * x }')"
		verdict "$m: added p50 @1 ≤ 1.5 × Go proxy's (µs)" "$(added "$1" "$m" p50)" "<=" "$(f "$(awk -v x="$(added goproxy "$m" p50)" 'BEGIN { print 1.5 * x }')")"
		verdict "$m: added p99 @1 ≤ 1.5 × Go proxy's (µs)" "$(added "$1" "$m" p99)" "<=" "$(f "$(awk -v x="$(added goproxy "$m" p99)" 'BEGIN { print 1.5 * x }')")"
	done
}

report() {
	cat <<EOF
# Benchmarks

Measured speed of the gateway against two floors, on loopback. Regenerate with:

\`\`\`
make bench
\`\`\`

(\`tools/bench.sh\`; it installs nginx and wrk with apt when missing, builds the binaries, starts everything on
127.0.0.1, and stops it all at the end.)

- **Date**: $START
- **Machine**: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -sr)
- **Software**: $(go version | cut -d' ' -f3-), $("$NGINX" -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)
- **Other load**: $OTHER_LOAD CPUs busy with other processes just before the run; load average before/after:
  $LOAD_BEFORE / $LOAD_AFTER (the measurements took ${LOAD_TIME} s)
- **Load generator and targets share the machine** (wrk with $THREADS threads); the figures are for comparing
  the rows with each other, not for capacity planning.

> The manifold figures are for the gateway as shipped: every request authenticated with a virtual key (from the
> router's key cache), admitted by quota leases, translated (OpenAI wire format → Model Context Protocol → OpenAI
> provider adapter → and back), recorded in the call log (batched to the audit service, SQLite) and counted in
> the Prometheus metrics; tracing off (no OTLP endpoint).

## What is measured

The same OpenAI chat-completions request (\`POST /v1/chat/completions\`, a system and a user message, Bearer key;
\`tools/bench.lua\`) is sent to one zero-latency OpenAI emulator (\`services/internal/emulator/cmd/emulator\`)
five ways:

| target | how |
|---|---|
| emulator, direct | the emulator itself on $EMU_ADDR |
| nginx | Debian's nginx, \`worker_processes 1\`, \`proxy_pass\` to an \`upstream\` with \`keepalive 64\`, \`proxy_http_version 1.1\`, \`Connection ""\`, \`proxy_buffering off\`, no access log |
| Go httputil.ReverseProxy | \`services/internal/benchproxy\`: \`NewSingleHostReverseProxy\`, transport with \`MaxIdleConnsPerHost\` 256, \`FlushInterval\` -1 |
| manifold | \`bin/manifold serve\` with one OpenAI provider (the emulator) and model \`$GW_MODEL\` routed to it |
| manifold router (split) | the same configuration in split mode without Consul: a router process alone (\`--services router\`) reaching a second process (\`--services keyvault,quota,prompts,audit\`, SQLite) at fixed addresses; the CPU column counts the router process only |

as JSON and as a stream (\`"stream": true, "stream_options": {"include_usage": true}\`; the emulator sends one
chunk per token, about 16 events).

- **Rounds**: the whole matrix runs $ROUNDS times, interleaved (every target and mode in turn, then again); each
  figure below is the best of the rounds (highest req/s, lowest CPU and latencies), the same rule for every row.
  Per round and case: ${WARMUP} s warm-up at $CONNS connections, ${DURATION} s measured at $CONNS, ${LAT_DURATION} s measured at 1.
- **req/s @$CONNS**: wrk, $CONNS connections, closed loop; completed requests ÷ wrk's measured duration.
- **CPU µs/req**: user + system CPU time of the target's processes (\`/proc/<pid>/stat\` utime + stime; nginx: master
  and worker) read before and after the window at $CONNS connections, ÷ requests completed in it. The emulator's
  own CPU is not counted, except in the direct row where the emulator is the target.
- **p50 / p99 @1**: wrk, one connection; latency is from the request's first byte written to the response's last
  byte read (the whole stream for SSE).
- **added**: the target's p50 (p99) @1 minus the direct emulator's, same mode.
- Every run fails when any request fails or answers non-2xx; each target is first checked for a complete answer
  (choices; for streams, usage and \`[DONE]\`).
- The Go floor enables full duplex on each request: without it the HTTP/1 server closes the inbound body when the
  answer starts, the transport's final read of the body then fails and drops the upstream connection mid-answer,
  and about 2 % of streams break ([golang/go#40747](https://github.com/golang/go/issues/40747)).

## Results

| target | mode | req/s @$CONNS | CPU µs/req | p50 @1 (µs) | p99 @1 (µs) | added p50 (µs) | added p99 (µs) | p50 / p99 @$CONNS (µs) |
|---|---|---:|---:|---:|---:|---:|---:|---:|
EOF
	local t m
	for m in json stream; do
		for t in "${TARGETS[@]}"; do
			printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "${LABEL[$t]}" "$m" "${R[$t/$m/rps]}" "${R[$t/$m/cpu_us]}" \
				"${R[$t/$m/1/p50_us]}" "${R[$t/$m/1/p99_us]}" "$(added "$t" "$m" p50)" "$(added "$t" "$m" p99)" \
				"${R[$t/$m/c/p50_us]}" "${R[$t/$m/c/p99_us]}"
		done
	done
	cat <<EOF

In the split rows the second process (key vault, quota, prompts, audit) used ${R[split/json/svc_cpu_us]} µs (JSON) and
${R[split/stream/svc_cpu_us]} µs (stream) of CPU per request besides the router's (best of the rounds), on the same
two cores.

## Targets

From the issue: throughput at least the bare Go proxy's and at least 0.4× nginx's; CPU per request at most 1.2×
the bare Go proxy's; added latency at one connection at most 1.5× the bare Go proxy's (p50 and p99); streaming
the same way.

| criterion | manifold | limit | verdict |
|---|---:|---:|---|
EOF
	verdicts manifold
	cat <<EOF

The same criteria for the router alone (split mode; its CPU without the other process's):

| criterion | router (split) | limit | verdict |
|---|---:|---:|---|
EOF
	verdicts split
	if [[ -n $PERF_CUM ]]; then
		cat <<EOF

## Where the gateway's CPU goes

\`perf record -F 499 -g -p <manifold>\` for 5 s under the JSON load at $CONNS connections (after the rounds above).
Shares of the gateway's own CPU time.

Self time, by binary and function (≥ 1 %; \`[k]\` is the kernel, mostly the network stack):

\`\`\`
$PERF_SELF
\`\`\`

Including callees, Go functions only (≥ 3 %):

\`\`\`
$PERF_CUM
\`\`\`
EOF
	fi
	if [[ -n $GOBENCH ]]; then
		cat <<EOF

## Router surface micro-benchmarks

\`cd services && go test -run '^$' -bench . -benchmem ./router/openaiapi\` (same run):

\`\`\`
$GOBENCH
\`\`\`
EOF
	fi
}

mkdir -p "$(dirname "$OUT")"
report | tee "$OUT"
log "wrote $OUT"
