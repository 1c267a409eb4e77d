// Package webhookstest holds what the webhook tests share: a small program
// whose one task needs a BLS card, and services wired on a test database
// with an injected clock. Tests only.
package webhookstest

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/wiring"
)

// Program is one competency, VITALS, observed once and signed off by an
// RN, behind the task VITALS, which also needs a BLS card (AHA: valid
// through the end of its month).
const Program = `format: skillgate-program/1
number: 1
status: published
published_at: 2026-01-05T09:00:00Z
program:
  code: HOOKS
  title: Webhook test program
  description: One task that needs BLS.
  type: competency-based
  credential_types:
    - {code: BLS, name: Basic Life Support, validity_months: 24, valid_through_end_of_month: true}
  competencies:
` + Competency + `  tasks:
    - code: VITALS
      title: Vital signs
      category: clinical
      competencies: [VITALS]
      credentials: [{credential: BLS}]
`

// Competency is the program's competency VITALS (one observed
// performance, signed off by an RN), for programs of other shapes.
const Competency = `    - code: VITALS
      title: Vital signs
      domain: clinical
      checklist_version: 1
      checklist:
        - text: Measures blood pressure with a correctly sized cuff
      performances: [{count: 1}]
      observed_by: {credentials: [RN]}
      signed_off_by: {credentials: [RN]}
`

// Services wires every service on d with the clock now, the default
// configuration, a silent logger and cheap password hashing.
func Services(t testing.TB, d *db.DB, now func() time.Time) *wiring.Services {
	t.Helper()
	cfg, _, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := wiring.New(d, cfg, wiring.Options{Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	svc.Accounts.Hasher = password.Hasher{Params: password.TestParams}
	return svc
}
