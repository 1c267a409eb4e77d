package documents_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/documents"
)

// Issued documents on both engines: the code finds its document (stored
// only as a hash), a later one of the same subject supersedes it, each is
// audited, and an unknown or malformed code finds nothing.
func TestIssueAndLookup(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		now := time.Date(2026, 3, 20, 15, 0, 0, 0, time.UTC)
		s := &documents.Store{DB: d, Audit: &audit.Log{Now: func() time.Time { return now }}, Now: func() time.Time { return now }}
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "hr-1", Via: "session"})
		first, second := documents.NewCode(), documents.NewCode()
		if len(first) != 26 || first == second {
			t.Fatalf("codes %q, %q", first, second)
		}
		issue := func(code string) *documents.Issued {
			doc := &documents.Issued{Kind: documents.KindRecord, SubjectID: "p-1", PersonID: "p-1", AsOf: "2026-03-20",
				SHA256: strings.Repeat("a", 64), Content: `{"person":{"name":"Ana"}}`}
			if err := s.Issue(ctx, []*documents.Issued{doc}, []string{code}); err != nil {
				t.Fatal(err)
			}
			return doc
		}
		a := issue(first)
		b := issue(second) // in the same instant: the later one still supersedes
		now = now.Add(time.Minute)
		c := documents.NewCode()
		issue(c)
		got, newer, err := s.Lookup(context.Background(), strings.ToUpper(first))
		if err != nil || got.ID != a.ID || newer == nil || newer.ID == a.ID || got.Content != a.Content || got.IssuedBy != "hr-1" {
			t.Fatalf("first: %+v newer %+v, %v", got, newer, err)
		}
		if got.CodeHash == first || strings.Contains(got.Content, first) {
			t.Fatal("the code is stored as it is")
		}
		if got, newer, err = s.Lookup(context.Background(), c); err != nil || newer != nil {
			t.Fatalf("second: %+v newer %+v, %v", got, newer, err)
		}
		for _, bad := range []string{documents.NewCode(), "", "x", strings.Repeat("a", 500), first[:25] + "'"} {
			if _, _, err := s.Lookup(context.Background(), bad); !errors.Is(err, documents.ErrUnknownCode) {
				t.Errorf("%q: %v", bad, err)
			}
		}
		if _, newer, err := s.Lookup(context.Background(), second); err != nil || newer == nil || newer.ID == b.ID {
			t.Fatalf("second: newer %+v, %v", newer, err)
		}
		if n := audittest.Count(t, d, documents.ActionIssue); n != 3 {
			t.Errorf("%d audit entries, want 3", n)
		}
	})
}
