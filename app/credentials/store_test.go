package credentials_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/curriculum"
)

var day = curriculum.MustParseDate

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newStore(d *db.DB) (*credentials.Store, *clock) {
	c := &clock{t: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)}
	s := credentials.NewStore(d)
	s.Now = c.Now
	return s, c
}

func person(t *testing.T, d *db.DB, email string) *accounts.Person {
	t.Helper()
	p, err := accounts.NewStore(d).Create(context.Background(), accounts.NewPerson{
		Email: email, Name: "Test " + email, Roles: []accounts.Role{accounts.RoleApprentice},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAddListHistoryVerify(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s, clk := newStore(d)
		ma := person(t, d, "ma@example.org")
		hr := person(t, d, "hr@example.org")

		first, err := s.Add(ctx, credentials.NewRecord{
			PersonID: ma.ID, TypeCode: " bls ", IssuingBody: "American Heart Association", Number: "AHA-1",
			IssuedOn: day("2024-03-10"), ExpiresOn: day("2026-03-01"), ValidThroughMonth: true, RecordedBy: hr.ID,
		})
		if err != nil {
			t.Fatal(err)
		}
		if first.TypeCode != "BLS" || first.ExpiresOn != day("2026-03-31") || !first.ValidThroughMonth || first.Verified() {
			t.Fatalf("first = %+v", first)
		}
		clk.Advance(24 * time.Hour)
		// The renewal is a new record; the old one stays.
		renewal, err := s.Add(ctx, credentials.NewRecord{
			PersonID: ma.ID, TypeCode: "BLS", Number: "AHA-2", IssuedOn: day("2026-03-02"),
			ExpiresOn: day("2028-03-31"), RecordedBy: hr.ID, Notes: "renewed in class",
		})
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.ForPerson(ctx, ma.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != renewal.ID || list[1].ID != first.ID {
			t.Fatalf("history = %+v", list)
		}
		if list[1].IssuedOn != day("2024-03-10") || list[1].Number != "AHA-1" || list[1].RecordedBy != hr.ID {
			t.Fatalf("stored record = %+v", list[1])
		}

		// Verify once; a second verification is refused and changes nothing.
		clk.Advance(time.Hour)
		v, err := s.Verify(ctx, renewal.ID, hr.ID, "checked the AHA eCard site")
		if err != nil {
			t.Fatal(err)
		}
		if !v.Verified() || !v.VerifiedAt.Equal(clk.t) || v.VerifiedBy != hr.ID || v.VerificationMethod != "checked the AHA eCard site" {
			t.Fatalf("verified = %+v", v)
		}
		clk.Advance(time.Hour)
		if _, err := s.Verify(ctx, renewal.ID, ma.ID, "again"); !errors.Is(err, credentials.ErrAlreadyVerified) {
			t.Fatalf("second verify: %v", err)
		}
		again, _ := s.ByID(ctx, renewal.ID)
		if again.VerifiedBy != hr.ID || !again.VerifiedAt.Equal(v.VerifiedAt.UTC()) {
			t.Fatalf("second verify changed the record: %+v", again)
		}
		if _, err := s.Verify(ctx, "no-such-id", hr.ID, "x"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("verify missing: %v", err)
		}
		if _, err := s.Verify(ctx, first.ID, hr.ID, "  "); !errors.Is(err, credentials.ErrInvalid) {
			t.Fatalf("verify without method: %v", err)
		}

		// Conversion for the clearance engine: recorded day in the
		// organisation's zone, verified from verified_at.
		ny, _ := time.LoadLocation("America/New_York")
		recs := credentials.CurriculumRecords(list, ny)
		if recs[1].RecordedOn != day("2026-03-02") || recs[1].Verified || recs[1].Type != "BLS" || recs[1].ExpiresOn != day("2026-03-31") {
			t.Fatalf("curriculum record = %+v", recs[1])
		}
		late := credentials.Record{RecordedAt: time.Date(2026, 3, 8, 3, 30, 0, 0, time.UTC), VerifiedAt: &clk.t}
		if c := late.Curriculum(ny); c.RecordedOn != day("2026-03-07") || !c.Verified {
			t.Fatalf("late-evening record = %+v", c)
		}

		// Expiry scan uses the printed (month-end) expiry dates.
		exp, err := s.ExpiringBetween(ctx, day("2026-03-01"), day("2026-04-30"))
		if err != nil {
			t.Fatal(err)
		}
		if len(exp) != 1 || exp[0].ID != first.ID {
			t.Fatalf("expiring = %+v", exp)
		}
	})
}

func TestAddValidation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(d)
		p := person(t, d, "v@example.org")
		ok := credentials.NewRecord{PersonID: p.ID, TypeCode: "CMA", IssuedOn: day("2025-01-15")}
		cases := []struct {
			name  string
			edit  func(*credentials.NewRecord)
			field string
		}{
			{"no type", func(n *credentials.NewRecord) { n.TypeCode = " " }, "credential_type"},
			{"bad type", func(n *credentials.NewRecord) { n.TypeCode = "B L S" }, "credential_type"},
			{"no issue date", func(n *credentials.NewRecord) { n.IssuedOn = curriculum.Date{} }, "issued_on"},
			{"implausible", func(n *credentials.NewRecord) { n.IssuedOn = day("0202-01-01") }, "issued_on"},
			{"expiry before issue", func(n *credentials.NewRecord) { n.ExpiresOn = day("2025-01-14") }, "expires_on"},
			{"month without month", func(n *credentials.NewRecord) { n.ValidThroughMonth = true }, "expires_on"},
			{"long number", func(n *credentials.NewRecord) { n.Number = strings.Repeat("9", credentials.MaxNumber+1) }, "number"},
			{"long notes", func(n *credentials.NewRecord) { n.Notes = strings.Repeat("é", credentials.MaxNotes+1) }, "notes"},
			{"no person", func(n *credentials.NewRecord) { n.PersonID = "" }, "person_id"},
		}
		for _, c := range cases {
			n := ok
			c.edit(&n)
			_, err := s.Add(ctx, n)
			var fe *credentials.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, credentials.ErrInvalid) {
				t.Errorf("%s: err = %v", c.name, err)
			}
		}
		// Same-day expiry is fine; a missing person is "not found".
		n := ok
		n.ExpiresOn = n.IssuedOn
		if _, err := s.Add(ctx, n); err != nil {
			t.Fatalf("same-day expiry: %v", err)
		}
		n.PersonID = "01900000-0000-7000-8000-000000000000"
		if _, err := s.Add(ctx, n); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown person: %v", err)
		}
	})
}

// queryCounter counts the statements bun runs.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	q.n.Add(1)
	return ctx
}
func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

func TestForPeopleIsOneQuery(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s, clk := newStore(d)
		var ids []string
		for i := range 30 {
			p := person(t, d, fmt.Sprintf("p%d@example.org", i))
			ids = append(ids, p.ID)
			for j := range i % 3 {
				clk.Advance(time.Minute)
				if _, err := s.Add(ctx, credentials.NewRecord{PersonID: p.ID, TypeCode: "BLS", Number: fmt.Sprint(j), IssuedOn: day("2025-06-01")}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Many more ids than any engine's bound-parameter limit per IN list
		// would like, most of them unknown.
		ask := append([]string{}, ids...)
		for i := range 40000 {
			ask = append(ask, fmt.Sprintf("unknown-%d", i))
		}
		qc := &queryCounter{}
		counted := credentials.NewStore(&db.DB{DB: d.WithQueryHook(qc), Engine: d.Engine, Where: d.Where})
		got, err := counted.ForPeople(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		if n := qc.n.Load(); n != 1 {
			t.Fatalf("ForPeople ran %d queries, want 1", n)
		}
		total := 0
		for i, id := range ids {
			recs := got[id]
			if len(recs) != i%3 {
				t.Fatalf("person %d: %d records, want %d", i, len(recs), i%3)
			}
			if len(recs) == 2 && !recs[0].RecordedAt.After(recs[1].RecordedAt) {
				t.Fatalf("person %d: not newest first", i)
			}
			total += len(recs)
		}
		if total != 30 || len(got) != 20 {
			t.Fatalf("total %d records for %d people", total, len(got))
		}
		if m, err := s.ForPeople(ctx, nil); err != nil || len(m) != 0 {
			t.Fatalf("no ids: %v %v", m, err)
		}
	})
}

// TestForPeopleReadsEveryField: ForPeople scans rows itself; every field
// of every kind of record (no expiry, valid through a month, verified or
// not, with a file, notes, nobody recorded) comes back as ByID (bun) reads
// it, on both engines.
func TestForPeopleReadsEveryField(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s, clk := newStore(d)
		hr := person(t, d, "hr@example.org")
		a, b := person(t, d, "a@example.org"), person(t, d, "b@example.org")
		f, err := s.SaveFile(ctx, "card.png", bytes.NewReader(pngBytes(t)), hr.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, n := range []credentials.NewRecord{
			{PersonID: a.ID, TypeCode: "BLS", IssuingBody: "AHA", Number: "B-1", IssuedOn: day("2025-01-10"), ExpiresOn: day("2027-01-31"), FileID: f.ID, RecordedBy: hr.ID, Notes: "card seen; \"quoted\" ünïcode"},
			{PersonID: a.ID, TypeCode: "CMA", IssuedOn: day("2024-05-01")},
			{PersonID: b.ID, TypeCode: "BLS", Number: "B-2", IssuedOn: day("2025-03-01"), ExpiresOn: day("2027-03-09"), ValidThroughMonth: true, RecordedBy: hr.ID},
		} {
			clk.Advance(90 * time.Second)
			r, err := s.Add(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		clk.Advance(time.Hour)
		if _, err := s.Verify(ctx, ids[0], hr.ID, "card seen"); err != nil {
			t.Fatal(err)
		}
		got, err := s.ForPeople(ctx, []string{a.ID, b.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got[a.ID]) != 2 || len(got[b.ID]) != 1 {
			t.Fatalf("records: %+v", got)
		}
		for _, recs := range got {
			for _, r := range recs {
				want, err := s.ByID(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(r, *want) {
					t.Fatalf("ForPeople read\n%+v\nByID reads\n%+v", r, *want)
				}
			}
		}
		if v := got[a.ID][1]; v.ID != ids[0] || v.VerifiedAt == nil || v.FileID != f.ID || v.RecordedAt.Location() != time.UTC {
			t.Fatalf("the verified card with a file: %+v", v)
		}
	})
}
