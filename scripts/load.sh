#!/usr/bin/env bash
# Load test on loopback, the second half of `make bench`: for SQLite (a file
# in a temp dir) and, when MANDATE_TEST_POSTGRES_URL is set, PostgreSQL (a
# fresh database, dropped afterwards), it seeds a workspace through the CLI
# (an owner, ~50 members, an API token, and an issuer client per OAuth
# scenario), starts `mandate serve` on a free 127.0.0.1 port and runs
# internal/loadgen against it:
#
#   - GraphQL, as an API token and as a signed-in browser (server and load
#     generator share both cores);
#   - the issuer, per core: the server pinned to CPU 0 with GOMAXPROCS=1,
#     the load generator pinned to CPU 1, 16 connections, a warm-up, then a
#     fixed number of requests: client_credentials with client_secret_basic
#     and with private_key_jwt (a fresh ES256 assertion per request), each
#     with opaque and with JWT (ES256) access tokens; refresh-token rotation
#     (one chain per connection, started with the authorization code flow);
#     an agent's own client_credentials token (private_key_jwt); RFC 8693
#     token exchange (a subagent, registered by the agent with its own
#     token, exchanges a token the owner delegated to the agent: one
#     delegation per connection); opaque-token introspection;
#   - introspection again with the server on both cores (GOMAXPROCS=2,
#     CPUs 0-1), where the load generator shares its cores, and the ratio.
#
# One line of figures per run goes to stdout. PostgreSQL's own backends are
# not pinned: they run on either core.
#
# LOAD_REQUESTS (default 5000) and LOAD_CONCURRENCY (default 64) size the
# GraphQL runs, LOAD_MEMBERS (default 50) the workspace; ISSUER_REQUESTS
# (default 3000), INTROSPECT_REQUESTS (default 10000), ISSUER_WARMUP
# (default 500) and ISSUER_CONCURRENCY (default 16) the issuer runs.
# LOAD_SKIP_GRAPHQL=1 runs only the issuer; ISSUER_ONLY, a bash regular
# expression, runs only the issuer scenarios whose label matches it (e.g.
# 'exchange|agent').
set -euo pipefail

cd "$(dirname "$0")/.."

requests=${LOAD_REQUESTS:-5000}
concurrency=${LOAD_CONCURRENCY:-64}
members=${LOAD_MEMBERS:-50}
issuer_requests=${ISSUER_REQUESTS:-3000}
introspect_requests=${INTROSPECT_REQUESTS:-10000}
issuer_warmup=${ISSUER_WARMUP:-500}
issuer_concurrency=${ISSUER_CONCURRENCY:-16}
callback=http://127.0.0.1:9/callback

work=$(mktemp -d)
server_pid=""
pg_admin=""
pg_db=""

cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [ -n "$pg_db" ]; then
		psql "$pg_admin" -qAtc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

randhex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

if ! command -v taskset >/dev/null; then
	echo "taskset is missing: the issuer runs are not pinned to cores" >&2
fi

echo "building bin/mandate and the load generator" >&2
go build -o bin/mandate ./cmd/mandate
go build -o "$work/loadgen" ./internal/loadgen

# json_field NAME reads a string field of the one-line JSON object on stdin.
json_field() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p'; }

# pinned CPUS CMD... runs CMD on the given CPUs, or anywhere when taskset
# is missing (then said once).
pinned() {
	local cpus=$1
	shift
	if command -v taskset >/dev/null; then
		taskset -c "$cpus" "$@"
	else
		"$@"
	fi
}

# start_server LABEL CPUS GOMAXPROCS starts `mandate serve` on a free port,
# pinned to CPUS with GOMAXPROCS (both empty: unpinned), and waits until it
# is healthy. It sets server_pid, port and log.
start_server() {
	local label=$1 cpus=$2 procs=$3 i
	port=$(free_port) || return 1
	log="$work/serve-$label.log"
	# Not through pinned(): $! must be the server itself (taskset execs it).
	if [ -n "$cpus" ] && command -v taskset >/dev/null; then
		GOMAXPROCS=$procs taskset -c "$cpus" bin/mandate serve --addr "127.0.0.1:$port" --log-level warn 2>"$log" &
	elif [ -n "$cpus" ]; then
		GOMAXPROCS=$procs bin/mandate serve --addr "127.0.0.1:$port" --log-level warn 2>"$log" &
	else
		bin/mandate serve --addr "127.0.0.1:$port" --log-level warn 2>"$log" &
	fi
	server_pid=$!
	for ((i = 0; i < 100; i++)); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$server_pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "[$label] the server did not become healthy:" >&2
	cat "$log" >&2
	return 1
}

# stop_server LABEL stops the server and reports what it logged at WARN or
# above (a "database is locked" would show here). It returns the server's
# exit status.
stop_server() {
	local label=$1 status=0 warnings
	kill -TERM "$server_pid"
	wait "$server_pid" || status=$?
	server_pid=""
	# A binary built without the dashboard says so at start: not a load problem.
	warnings=$(grep -E 'level=(WARN|ERROR)' "$log" | grep -vc 'dashboard is not built' || true)
	if [ "$warnings" -gt 0 ]; then
		echo "[$label] the server logged $warnings warning(s) or error(s); the first:" >&2
		grep -E 'level=(WARN|ERROR)' "$log" | grep -v 'dashboard is not built' | head -n 5 >&2
	fi
	return "$status"
}

# seed_workspace LABEL creates the workspace, its owner and members, and
# sets token to an owner API token.
seed_workspace() {
	local label=$1 i
	echo "[$label] seeding a workspace with an owner and $members members" >&2
	# set -e does not reach inside a function called with ||: check each step.
	"${cli[@]}" tenant create --slug bench --name Bench >/dev/null || return 1
	"${cli[@]}" user create --tenant bench --email owner@bench.test \
		--password 'bench-password-123' --role owner --verified >/dev/null || return 1
	for ((i = 1; i <= members; i++)); do
		"${cli[@]}" user create --tenant bench --email "member$i@bench.test" \
			--name "Member $i" --role member >/dev/null || return 1
	done
	token=$("${cli[@]}" token create --tenant bench --name load --role owner | json_field token)
	if [ -z "$token" ]; then
		echo "[$label] could not read the token from 'mandate token create --json'" >&2
		return 1
	fi
}

# graphql_load LABEL runs the GraphQL load as an API token and as a
# signed-in browser against an unpinned server.
graphql_load() {
	local label=$1 status=0
	start_server "$label" "" "" || return 1
	echo "[$label] GraphQL: $requests requests, $concurrency concurrent" >&2
	LOADGEN_TOKEN=$token "$work/loadgen" -label "$label" \
		-url "http://127.0.0.1:$port/t/bench/graphql" \
		-n "$requests" -c "$concurrency" -timeout 180s || status=$?

	# The same query as a signed-in browser: session cookie and CSRF token.
	local jar signin csrf cookie
	jar="$work/cookies-$label"
	signin=$(curl -fsS -c "$jar" -H 'Content-Type: application/json' \
		-d '{"email":"owner@bench.test","password":"bench-password-123"}' \
		"http://127.0.0.1:$port/t/bench/auth/signin") || status=1
	csrf=$(printf '%s' "$signin" | json_field csrfToken)
	cookie=$(awk '$6 == "mandate_bench" { print $6 "=" $7 }' "$jar")
	if [ -n "$csrf" ] && [ -n "$cookie" ]; then
		LOADGEN_COOKIE=$cookie LOADGEN_CSRF=$csrf "$work/loadgen" -label "$label-session" \
			-url "http://127.0.0.1:$port/t/bench/graphql" \
			-n "$requests" -c "$concurrency" -timeout 180s || status=$?
	else
		echo "[$label] could not sign in for the session-authenticated run" >&2
		status=1
	fi
	stop_server "$label" || status=$?
	return "$status"
}

# new_client NAME ARGS... registers an issuer client and prints
# "client_id client_secret" (the secret is empty for private_key_jwt).
new_client() {
	local name=$1 out id
	shift
	out=$("${cli[@]}" client create --tenant bench --name "$name" "$@") || return 1
	id=$(printf '%s' "$out" | json_field client_id)
	if [ -z "$id" ]; then
		echo "could not read the client_id from 'mandate client create --json': $out" >&2
		return 1
	fi
	printf '%s %s\n' "$id" "$(printf '%s' "$out" | json_field client_secret)"
}

# issuer_run LABEL SCENARIO CPUS N ARGS... runs one issuer scenario with
# the load generator pinned to CPUS.
issuer_run() {
	local label=$1 scenario=$2 cpus=$3 n=$4
	shift 4
	if [ -n "${ISSUER_ONLY:-}" ] && ! [[ $label =~ $ISSUER_ONLY ]]; then
		return 0
	fi
	pinned "$cpus" "$work/loadgen" -label "$label" -scenario "$scenario" \
		-url "http://127.0.0.1:$port/t/bench" -server-pid "$server_pid" \
		-n "$n" -warmup "$issuer_warmup" -c "$issuer_concurrency" -timeout 120s "$@"
}

# issuer_load LABEL registers a client per scenario and loads the issuer,
# first per core, then introspection on both cores.
issuer_load() {
	local label=$1 status=0 basic_opaque basic_jwt pkj_opaque pkj_jwt refresh planner out
	"$work/loadgen" -new-es256-key "$work/client-key.json" >"$work/client-jwks.json" || return 1
	"$work/loadgen" -new-es256-key "$work/agent-key.json" >"$work/agent-jwks.json" || return 1
	basic_opaque=($(new_client cc-basic-opaque --grant client_credentials --token-format opaque)) || return 1
	basic_jwt=($(new_client cc-basic-jwt --grant client_credentials --token-format jwt)) || return 1
	pkj_opaque=($(new_client cc-pkj-opaque --grant client_credentials --token-format opaque \
		--jwks-file "$work/client-jwks.json")) || return 1
	pkj_jwt=($(new_client cc-pkj-jwt --grant client_credentials --token-format jwt \
		--jwks-file "$work/client-jwks.json")) || return 1
	refresh=($(new_client refresh --grant authorization_code --grant refresh_token \
		--redirect-uri "$callback" --token-format jwt)) || return 1
	# An agent (the planner) the owner may delegate to in the browser, with
	# a catalog scope to delegate; the load generator registers its
	# subagent through RFC 7591.
	"${cli[@]}" scopes set --tenant bench --scope 'invoices:read=Read invoices' >/dev/null || return 1
	out=$("${cli[@]}" agent create --tenant bench --name planner --sponsor owner@bench.test \
		--scopes openid,invoices:read --redirect-uri "$callback" --jwks-file "$work/agent-jwks.json") || return 1
	planner=$(printf '%s' "$out" | json_field client_id)
	if [ -z "$planner" ]; then
		echo "could not read the client_id from 'mandate agent create --json': $out" >&2
		return 1
	fi

	start_server "$label-1core" 0 1 || return 1
	echo "[$label] issuer, server on CPU 0 (GOMAXPROCS=1), load generator on CPU 1:" \
		"$issuer_concurrency connections, $issuer_warmup warm-up, then $issuer_requests requests" \
		"($introspect_requests for introspection); load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	LOADGEN_CLIENT_SECRET=${basic_opaque[1]} issuer_run "$label cc basic opaque" client_credentials 1 \
		"$issuer_requests" -client-id "${basic_opaque[0]}" || status=1
	LOADGEN_CLIENT_SECRET=${basic_jwt[1]} issuer_run "$label cc basic jwt" client_credentials 1 \
		"$issuer_requests" -client-id "${basic_jwt[0]}" || status=1
	issuer_run "$label cc private_key_jwt opaque" client_credentials 1 "$issuer_requests" \
		-client-id "${pkj_opaque[0]}" -client-key "$work/client-key.json" || status=1
	issuer_run "$label cc private_key_jwt jwt" client_credentials 1 "$issuer_requests" \
		-client-id "${pkj_jwt[0]}" -client-key "$work/client-key.json" || status=1
	LOADGEN_CLIENT_SECRET=${refresh[1]} LOADGEN_PASSWORD=bench-password-123 \
		issuer_run "$label refresh" refresh 1 "$issuer_requests" -client-id "${refresh[0]}" \
		-username owner@bench.test -redirect-uri "$callback" || status=1
	issuer_run "$label agent cc private_key_jwt" client_credentials 1 "$issuer_requests" \
		-client-id "$planner" -client-key "$work/agent-key.json" || status=1
	LOADGEN_PASSWORD=bench-password-123 issuer_run "$label exchange" exchange 1 "$issuer_requests" \
		-client-id "$planner" -client-key "$work/agent-key.json" -username owner@bench.test \
		-redirect-uri "$callback" -scope invoices:read || status=1
	local one two
	one=$(LOADGEN_CLIENT_SECRET=${basic_opaque[1]} issuer_run "$label introspect 1 core" introspect 1 \
		"$introspect_requests" -client-id "${basic_opaque[0]}") || status=1
	[ -n "$one" ] && echo "$one"
	stop_server "$label-1core" || status=1

	if [ -n "${ISSUER_ONLY:-}" ] && ! [[ "$label introspect 2 cores" =~ $ISSUER_ONLY ]]; then
		return "$status"
	fi
	start_server "$label-2core" 0,1 2 || return 1
	echo "[$label] introspection, server on CPUs 0-1 (GOMAXPROCS=2), load generator sharing them" >&2
	two=$(LOADGEN_CLIENT_SECRET=${basic_opaque[1]} issuer_run "$label introspect 2 cores" introspect 0,1 \
		"$introspect_requests" -client-id "${basic_opaque[0]}") || status=1
	echo "$two"
	stop_server "$label-2core" || status=1
	rate() { sed -n 's/.* \([0-9.]*\) req\/s.*/\1/p'; }
	local r1 r2
	r1=$(printf '%s' "$one" | rate)
	r2=$(printf '%s' "$two" | rate)
	if [ -n "$r1" ] && [ -n "$r2" ]; then
		awk -v a="$r1" -v b="$r2" -v l="$label" 'BEGIN { printf "%s introspect scaling: %.2fx from 1 core to 2\n", l, b / a }'
	fi
	return "$status"
}

# run_load LABEL DATABASE_URL seeds a workspace in the database, serves it
# and loads it. It returns the load generator's status.
run_load() {
	local label=$1 status=0
	export MANDATE_DATABASE_URL=$2
	MANDATE_SECRET=$(randhex 32)
	export MANDATE_SECRET
	cli=(bin/mandate --log-level warn --json)
	seed_workspace "$label" || return 1
	if [ -z "${LOAD_SKIP_GRAPHQL:-}" ]; then
		graphql_load "$label" || status=1
	fi
	issuer_load "$label" || status=1
	return "$status"
}

failed=0

run_load sqlite "$work/bench.db" || failed=1

if [ -n "${MANDATE_TEST_POSTGRES_URL:-}" ]; then
	if command -v psql >/dev/null; then
		pg_admin=$MANDATE_TEST_POSTGRES_URL
		pg_db="mandate_bench_$(randhex 6)"
		psql "$pg_admin" -qAtc "CREATE DATABASE $pg_db" >/dev/null
		pg_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
			"$pg_admin" "$pg_db")
		run_load postgres "$pg_url" || failed=1
		psql "$pg_admin" -qAtc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
		pg_db=""
	else
		echo "MANDATE_TEST_POSTGRES_URL is set but psql is missing: skipping PostgreSQL" >&2
	fi
else
	echo "MANDATE_TEST_POSTGRES_URL is not set: skipping PostgreSQL" >&2
fi

exit "$failed"
