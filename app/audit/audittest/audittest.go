// Package audittest helps tests assert what the audit trail holds.
package audittest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
)

// Count returns how many entries have the given action.
func Count(t testing.TB, idb bun.IDB, action string) int {
	t.Helper()
	_, n, err := audit.List(context.Background(), idb, audit.Filter{Action: action}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Total returns how many entries the trail holds.
func Total(t testing.TB, idb bun.IDB) int { t.Helper(); return Count(t, idb, "") }

// Last returns the newest entry with the given action, failing the test
// when there is none.
func Last(t testing.TB, idb bun.IDB, action string) audit.Record {
	t.Helper()
	rows, _, err := audit.List(context.Background(), idb, audit.Filter{Action: action}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("no %q entry in the audit trail", action)
	}
	return rows[0]
}

// Value decodes an entry's before or after JSON ("" gives nil).
func Value(t testing.TB, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("audit value %q: %v", s, err)
	}
	return m
}

// Intact fails the test unless the whole chain verifies.
func Intact(t testing.TB, idb bun.IDB) {
	t.Helper()
	rep, err := audit.Verify(context.Background(), idb)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Problem != nil {
		t.Fatalf("audit trail after %d entries: %v", rep.Entries, rep.Problem)
	}
}
