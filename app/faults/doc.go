// Package faults holds Skillgate's crash test: proof that evidence written
// through the JSON API is neither lost nor duplicated when the server is
// killed (SIGKILL) and restarted, and, on PostgreSQL, when the database
// itself restarts (pg_ctl restart -m immediate), in the middle of a load.
//
// The test (crash_test.go) builds the real skillgate binary, runs it as a
// separate process on loopback, and drives it with N concurrent clients.
// Each client is a preceptor with an API token and an apprentice of their
// own; it alternates observations and sign-offs (the initial sign-off, then
// re-verifications), each request with its own idempotency key, and
// retries a request with the same key (and body) until it gets a definite
// answer: 201 created, 200 replayed, or a 4xx refusal. Connection errors,
// timeouts and 5xx answers are retried. Meanwhile the test kills the server
// and restarts it, and restarts PostgreSQL, at fixed fractions of the
// requests answered, so every run has the same number of crashes.
//
// Afterwards the database must hold exactly what the clients were told: one
// row per acknowledged key, with the id the client received, and no row
// for any other key; each stored record has exactly one audit entry, and
// `skillgate audit verify` passes; sign-off chain numbers are 1..n per
// competency without duplicates or gaps; SQLite passes PRAGMA
// integrity_check.
//
// PostgreSQL runs as a private cluster (initdb in a temporary directory, on
// a free port) so that restarting it disturbs no other test; as root it is
// run as the postgres user. Without initdb the postgres subtest is skipped
// with a message, except under CI (CI set), where it fails.
//
// TestWebhookSurvivesAKill (webhooks_test.go) kills the server between a
// sign-off's commit and its webhook's delivery (the receiver holds the
// request open): after a restart the event arrives once, with the same
// webhook-id, on both engines.
//
// Sizes come from the environment: SKILLGATE_LOAD_CLIENTS (default 50),
// SKILLGATE_LOAD_REQUESTS per client (default 20), SKILLGATE_LOAD_KILLS
// server kills (default 3) and SKILLGATE_LOAD_PG_RESTARTS (default 2). The
// longer setting and measured figures are in docs/faults.md.
package faults
