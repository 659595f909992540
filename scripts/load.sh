#!/usr/bin/env bash
# Load test on loopback, the second half of `make bench`: for SQLite (a file
# in a temp dir) and, when MANDATE_TEST_POSTGRES_URL is set, PostgreSQL (a
# fresh database, dropped afterwards), it seeds a workspace with an owner,
# ~50 members and an API token through the CLI, starts `mandate serve` on a
# free 127.0.0.1 port and runs internal/loadgen against its GraphQL
# endpoint. One line of figures per database goes to stdout.
#
# LOAD_REQUESTS (default 5000) and LOAD_CONCURRENCY (default 64) size the
# run; LOAD_MEMBERS (default 50) the workspace.
set -euo pipefail

cd "$(dirname "$0")/.."

requests=${LOAD_REQUESTS:-5000}
concurrency=${LOAD_CONCURRENCY:-64}
members=${LOAD_MEMBERS:-50}

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

echo "building bin/mandate and the load generator" >&2
go build -o bin/mandate ./cmd/mandate
go build -o "$work/loadgen" ./internal/loadgen

# run_load LABEL DATABASE_URL seeds a workspace in the database, serves it
# and loads it. It returns the load generator's status.
run_load() {
	local label=$1
	export MANDATE_DATABASE_URL=$2
	MANDATE_SECRET=$(randhex 32)
	export MANDATE_SECRET
	local cli=(bin/mandate --log-level warn --json)

	echo "[$label] seeding a workspace with an owner and $members members" >&2
	# set -e does not reach inside a function called with ||: check each step.
	"${cli[@]}" tenant create --slug bench --name Bench >/dev/null || return 1
	"${cli[@]}" user create --tenant bench --email owner@bench.test \
		--password 'bench-password-123' --role owner --verified >/dev/null || return 1
	local i
	for ((i = 1; i <= members; i++)); do
		"${cli[@]}" user create --tenant bench --email "member$i@bench.test" \
			--name "Member $i" --role member >/dev/null || return 1
	done
	local token
	token=$("${cli[@]}" token create --tenant bench --name load --role owner |
		sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	if [ -z "$token" ]; then
		echo "[$label] could not read the token from 'mandate token create --json'" >&2
		return 1
	fi

	local port log
	port=$(free_port) || return 1
	log="$work/serve-$label.log"
	bin/mandate serve --addr "127.0.0.1:$port" --log-level warn 2>"$log" &
	server_pid=$!
	local ok=""
	for ((i = 0; i < 100; i++)); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			ok=1
			break
		fi
		if ! kill -0 "$server_pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		echo "[$label] the server did not become healthy:" >&2
		cat "$log" >&2
		return 1
	fi

	echo "[$label] $requests requests, $concurrency concurrent" >&2
	local status=0
	LOADGEN_TOKEN=$token "$work/loadgen" -label "$label" \
		-url "http://127.0.0.1:$port/t/bench/graphql" \
		-n "$requests" -c "$concurrency" -timeout 180s || status=$?

	# The same query as a signed-in browser: session cookie and CSRF token.
	local jar signin csrf cookie
	jar="$work/cookies-$label"
	signin=$(curl -fsS -c "$jar" -H 'Content-Type: application/json' \
		-d '{"email":"owner@bench.test","password":"bench-password-123"}' \
		"http://127.0.0.1:$port/t/bench/auth/signin") || status=1
	csrf=$(printf '%s' "$signin" | sed -n 's/.*"csrfToken":"\([^"]*\)".*/\1/p')
	cookie=$(awk '$6 == "mandate_bench" { print $6 "=" $7 }' "$jar")
	if [ -n "$csrf" ] && [ -n "$cookie" ]; then
		LOADGEN_COOKIE=$cookie LOADGEN_CSRF=$csrf "$work/loadgen" -label "$label-session" \
			-url "http://127.0.0.1:$port/t/bench/graphql" \
			-n "$requests" -c "$concurrency" -timeout 180s || status=$?
	else
		echo "[$label] could not sign in for the session-authenticated run" >&2
		status=1
	fi

	kill -TERM "$server_pid"
	wait "$server_pid" || status=$?
	server_pid=""
	local warnings
	warnings=$(grep -cE 'level=(WARN|ERROR)' "$log" || true)
	if [ "$warnings" -gt 0 ]; then
		echo "[$label] the server logged $warnings warning(s) or error(s); the first:" >&2
		grep -E 'level=(WARN|ERROR)' "$log" | head -n 5 >&2
	fi
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
