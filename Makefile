# Skillgate's developer tasks. Everything else is plain `go` (see README).

.PHONY: bench test ci

# make bench: seed a scratch PostgreSQL database with `skillgate seed
# --scale`, run the Go benchmarks and the HTTP load runs, print results
# against the targets (docs/performance.md). Sizes and settings are
# variables, e.g. a quick run:
#   make bench SCALE_SITES=20 SCALE_MAS=2000 SCALE_PRECEPTORS=200 SCALE_OBSERVATIONS=150000 SCALE_CREDENTIALS=10000
# REUSE_DB=1 reuses an already seeded $(BENCH_DB) (default skillgate_bench).
BENCH_VARS := PGBASE BENCH_DB BENCH_ADDR SCALE_SITES SCALE_MAS SCALE_PRECEPTORS SCALE_OBSERVATIONS \
	SCALE_CREDENTIALS REUSE_DB KEEP_DB BENCH_DURATION BENCH_RATE GO_BENCH GO_BENCH_PKGS BENCH_OUT BENCH_FLAGS
bench:
	$(foreach v,$(BENCH_VARS),$(if $($(v)),$(v)='$($(v))')) scripts/bench.sh

test:
	go test ./...

ci:
	.ci/run
