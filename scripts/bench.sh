#!/usr/bin/env bash
# The performance measurements of docs/performance.md, end to end: a scratch
# PostgreSQL database seeded with `skillgate seed --scale`, the Go
# benchmarks, a server on it, the HTTP load runs, and one table of results
# against the targets. Called by `make bench`; every setting below can be
# overridden from the environment (or as make variables).
set -euo pipefail
cd "$(dirname "$0")/.."

PGBASE=${PGBASE:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-skillgate_bench}
BENCH_ADDR=${BENCH_ADDR:-127.0.0.1:18181}
SCALE_SITES=${SCALE_SITES:-200}
SCALE_MAS=${SCALE_MAS:-20000}
SCALE_PRECEPTORS=${SCALE_PRECEPTORS:-2000}
SCALE_OBSERVATIONS=${SCALE_OBSERVATIONS:-1500000}
SCALE_CREDENTIALS=${SCALE_CREDENTIALS:-100000}
# REUSE_DB=1 keeps an existing, already seeded $BENCH_DB (seeding the full
# size takes about ten minutes here); KEEP_DB=1 leaves it afterwards.
REUSE_DB=${REUSE_DB:-0}
KEEP_DB=${KEEP_DB:-0}
BENCH_DURATION=${BENCH_DURATION:-20s}
BENCH_RATE=${BENCH_RATE:-1000}
# Go benchmarks run before the load (selected, not all of ./...).
GO_BENCH=${GO_BENCH:-EvaluateOrganisation}
GO_BENCH_PKGS=${GO_BENCH_PKGS:-./curriculum/}
# Extra flags for skillgate-bench, e.g. BENCH_FLAGS=-pages-only to measure
# the pages alone (no clearance-check load, no export).
# BENCH_FLAGS='-only past-days', '-only hr-writes' or '-only mixed-writes'
# runs one section of issue 24 (past-day checks; the HR dashboard right
# after writes; preceptors' observations and sign-offs through the forms,
# once signing with passkeys, once with passwords: -sign-with chooses).
# The mixed writes add about 8,000 records to $BENCH_DB for good, and
# passkeys to the 50 preceptors of the passkey run
# (BENCH_FLAGS=-no-mixed-writes leaves them out).
BENCH_FLAGS=${BENCH_FLAGS:-}

OUT=${BENCH_OUT:-$(mktemp -d /tmp/skillgate-bench.XXXXXX)}
DBURL="$PGBASE/$BENCH_DB?sslmode=disable"
log() { printf '\n== %s\n' "$*" >&2; }

log "building into $OUT"
go build -o "$OUT/skillgate" ./cmd/skillgate
go build -o "$OUT/skillgate-bench" ./cmd/skillgate-bench

SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "$KEEP_DB" != 1 ] && [ "$REUSE_DB" != 1 ]; then
    psql "$PGBASE/postgres" -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

if [ "$REUSE_DB" = 1 ] && psql "$PGBASE/$BENCH_DB" -Atc "SELECT 1 FROM users LIMIT 1" >/dev/null 2>&1; then
  log "reusing the seeded database $BENCH_DB"
  "$OUT/skillgate" migrate up --database-url "$DBURL" >&2
else
  log "seeding $BENCH_DB: $SCALE_SITES sites, $SCALE_MAS MAs, $SCALE_OBSERVATIONS observations"
  psql "$PGBASE/postgres" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
  start=$(date +%s)
  "$OUT/skillgate" seed --scale --database-url "$DBURL" --sites "$SCALE_SITES" --mas "$SCALE_MAS" \
    --preceptors "$SCALE_PRECEPTORS" --observations "$SCALE_OBSERVATIONS" --credentials "$SCALE_CREDENTIALS" \
    | sed '/^API token/,+1d' >&2   # the token is not needed: skillgate-bench issues its own
  echo "seeded in $(( $(date +%s) - start )) s" >&2
fi
# What autovacuum would have done by now (it may be off on a test
# machine): statistics and visibility map of what the seed and earlier
# runs wrote, and of tables a migration just filled.
psql "$DBURL" -qc "VACUUM ANALYZE" >&2

log "Go benchmarks: -bench '$GO_BENCH' $GO_BENCH_PKGS"
go test -run '^$' -bench "$GO_BENCH" -benchmem $GO_BENCH_PKGS | tee "$OUT/gobench.txt" >&2

# Issue 24 target 3: audited write transactions from 50 writers (test
# schemas in the postgres database, not the seeded one); `audit verify`
# must pass afterwards (the benchmark fails otherwise).
log "audited writes, 50 writers: go test -bench Write ./app/audit/"
SKILLGATE_TEST_DATABASE_URL="$PGBASE/postgres?sslmode=disable" go test -run '^$' -bench 'Write/' -benchtime "${AUDIT_WRITES:-5000}x" ./app/audit/ \
  | tee "$OUT/auditbench.txt" >&2
awk '/^BenchmarkWrite\// { for (i = 1; i <= NF; i++) if ($i == "tx/s") r[$1] = $(i-1) }
  END { for (k in r) if (k ~ /audited=true/) { e = (k ~ /postgres/) ? "PostgreSQL" : "SQLite"; u = k; sub(/audited=true/, "audited=false", u)
    printf "| Audited writes, 50 writers, %s (one row and its audit entry per transaction; chain verified after, no fork) | %.0f tx/s (%.0f without the entry) | %s | %s |\n",
      e, r[k], r[u], (e == "PostgreSQL") ? "≥ 1,000/s" : "", (e == "PostgreSQL") ? ((r[k] >= 1000) ? "MET" : "MISSED") : "" } }' \
  "$OUT/auditbench.txt" | sort >"$OUT/audit-rows.md"
# Target 4: 50 clients recording observations and sign-offs at 200 writes/s
# (re-authentication's password hash measured apart), the service's write
# path alone on an empty database; skillgate-bench measures the same load
# end to end through the forms on the seeded one.
log "mixed writes: go test -bench MixedWrites ./app/evidence/"
SKILLGATE_TEST_DATABASE_URL="$PGBASE/postgres?sslmode=disable" go test -run '^$' -bench 'MixedWrites/postgres' -benchtime "${MIXED_WRITES:-2000}x" ./app/evidence/ \
  | tee "$OUT/mixedbench.txt" >&2
awk '/^BenchmarkMixedWrites\// { for (i = 2; i <= NF; i++) m[$i] = $(i-1)
    printf "| Mixed writes, 50 clients, observations and sign-offs at 200/s, PostgreSQL, service layer on an empty database (go test; re-authentication apart) | %.0f writes/s, p50 %.0f ms, p99 %.0f ms, %d sign-offs | p99 < 100 ms | %s |\n", m["writes/s"], m["p50-ms"], m["p99-ms"], m["signoffs"], (m["p99-ms"] < 100 && m["writes/s"] >= 190) ? "MET" : "MISSED"
    printf "| Sign-off re-authentication, argon2id password hash alone | p50 %.0f ms, p99 %.0f ms | | |\n", m["reauth-hash-p50-ms"], m["reauth-hash-p99-ms"] }' \
  "$OUT/mixedbench.txt" >>"$OUT/audit-rows.md"

log "starting the server on $BENCH_ADDR"
# The scale accounts have no second factor: the measured pages are what
# a signed-in person reads, not the step to enrol one. The server trusts
# skillgate-bench as its proxy: the mixed writes' 50 preceptors send from
# their own clinics' addresses (X-Forwarded-For), as behind a real proxy,
# so the per-address limits on logins and writes count each clinic apart.
# Its passkeys answer for SKILLGATE_BASE_URL, which skillgate-bench is
# told too (the mixed writes sign with passkeys they register).
BASE_URL="http://localhost:${BENCH_ADDR##*:}"
SKILLGATE_DATABASE_URL="$DBURL" SKILLGATE_ADDR="$BENCH_ADDR" SKILLGATE_LOG_LEVEL=warn SKILLGATE_SECOND_FACTOR_ROLES=none \
  SKILLGATE_TRUSTED_PROXIES=127.0.0.1 SKILLGATE_BASE_URL="$BASE_URL" \
  "$OUT/skillgate" serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -fs "http://$BENCH_ADDR/readyz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fs "http://$BENCH_ADDR/readyz" >/dev/null || { echo "server did not become ready; see $OUT/server.log" >&2; exit 1; }
# Another server already on $BENCH_ADDR would answer /readyz while ours
# failed to bind, and every figure would measure the wrong one.
kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server exited (is $BENCH_ADDR taken?); see $OUT/server.log" >&2; exit 1; }

log "HTTP load runs"
"$OUT/skillgate-bench" -database-url "$DBURL" -base "http://$BENCH_ADDR" -base-url "$BASE_URL" -pid "$SERVER_PID" \
  -duration "$BENCH_DURATION" -rate "$BENCH_RATE" -out "$OUT/results.md" $BENCH_FLAGS >"$OUT/table.txt"

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), $(psql "$PGBASE/postgres" -Atc 'SHOW server_version' | cut -d' ' -f1 | sed 's/^/PostgreSQL /')"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Data: $SCALE_SITES sites, $SCALE_MAS MAs, $SCALE_PRECEPTORS preceptors, $SCALE_OBSERVATIONS observations, $SCALE_CREDENTIALS credentials"
echo
grep -E '^Benchmark' "$OUT/gobench.txt" || true
echo
cat "$OUT/table.txt" "$OUT/audit-rows.md"
echo
echo "(raw output in $OUT)"
