package reminders_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reminders"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

type fakeMail struct {
	mu   sync.Mutex
	sent []string
}

func (f *fakeMail) Send(_ context.Context, to, subject, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, to+": "+subject)
	return nil
}

func setup(t *testing.T, d *db.DB) (*reminders.Service, *accounts.Store, *fakeMail) {
	acc := accounts.NewStore(d)
	acc.Hasher = password.Hasher{Params: password.TestParams}
	if _, err := demo.Seed(context.Background(), d, acc); err != nil {
		t.Fatal(err)
	}
	ev := evidence.NewService(d, programs.NewStore(d))
	mail := &fakeMail{}
	return &reminders.Service{DB: d, Accounts: acc, Clearance: &clearance.Service{Evidence: ev}, Mail: mail,
		Now: func() time.Time { return time.Now().UTC() }, Location: curriculum.DefaultLocation()}, acc, mail
}

func TestRemindersGoOutOncePerThreshold(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, acc, mail := setup(t, d)
		ctx := context.Background()
		n, err := s.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no reminders for the demo's expiring BLS")
		}
		again, err := s.Run(ctx)
		if err != nil || again != 0 {
			t.Fatalf("second run created %d (%v); want none", again, err)
		}
		// A second instance running at the same moment adds nothing either.
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i := range counts {
			wg.Add(1)
			go func() { defer wg.Done(); counts[i], _ = s.Run(ctx) }()
		}
		wg.Wait()
		if counts[0]+counts[1] != 0 {
			t.Fatalf("concurrent runs created %v", counts)
		}
		if len(mail.sent) != n {
			t.Fatalf("%d emails for %d notifications", len(mail.sent), n)
		}
		jordan, _ := acc.ByEmail(ctx, "apprentice@demo.test")
		hr, _ := acc.ByEmail(ctx, "hr@demo.test")
		mine, unread, err := s.For(ctx, jordan.ID, 50)
		if err != nil || unread == 0 || !strings.Contains(mine[0].Message, "Basic Life Support") {
			t.Fatalf("Jordan's notifications: %+v %d %v", mine, unread, err)
		}
		theirs, _, _ := s.For(ctx, hr.ID, 50)
		found := false
		for _, n := range theirs {
			found = found || strings.Contains(n.Message, "Jordan Lee")
		}
		if !found {
			t.Fatal("HR was not told about Jordan's BLS")
		}
		if err := s.MarkRead(ctx, jordan.ID); err != nil {
			t.Fatal(err)
		}
		if _, unread, _ := s.For(ctx, jordan.ID, 50); unread != 0 {
			t.Fatalf("%d unread after marking read", unread)
		}
	})
}

func TestCalendarFeed(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s, acc, _ := setup(t, d)
		ctx := context.Background()
		jordan, _ := acc.ByEmail(ctx, "apprentice@demo.test")
		tok, err := s.NewCalendarToken(ctx, jordan.ID)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := s.Calendar(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		body := string(feed)
		if !strings.Contains(body, "BEGIN:VCALENDAR") || !strings.Contains(body, "BEGIN:VEVENT") || !strings.Contains(body, "Basic Life Support") {
			t.Fatalf("feed:\n%s", body)
		}
		newer, _ := s.NewCalendarToken(ctx, jordan.ID)
		if _, err := s.Calendar(ctx, tok); err == nil {
			t.Fatal("the old link still works after a new one was made")
		}
		if err := s.RevokeCalendar(ctx, jordan.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Calendar(ctx, newer); err == nil {
			t.Fatal("a revoked link still works")
		}
	})
}

// TestRemindersReachEveryoneInALargeOrganisation: with more apprentices
// than one page of people (500), everyone with something due within 90
// days is reminded, not just the first page.
func TestRemindersReachEveryoneInALargeOrganisation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		asOf := curriculum.MustParseDate("2026-06-15")
		// Pages of 40 apprentices: crossing pages takes a few hundred people,
		// not the thousands pages of 500 would (minutes under -race).
		const page = 40
		if _, err := scale.Generate(ctx, d, scale.Options{Sites: 6, MAs: 200, Preceptors: 12, Observations: 4000, Seed: 3, AsOf: asOf}); err != nil {
			t.Fatal(err)
		}
		acc := accounts.NewStore(d)
		cl := &clearance.Service{Evidence: evidence.NewService(d, programs.NewStore(d))}
		now := asOf.Time(curriculum.DefaultLocation()).Add(12 * time.Hour).UTC()
		s := &reminders.Service{DB: d, Accounts: acc, Clearance: cl, Now: func() time.Time { return now }, Location: curriculum.DefaultLocation(), PageSize: page}
		if _, err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}

		// Who has something due within 90 days, decided for everyone at once.
		var ids []string
		if err := d.NewRaw("SELECT user_id FROM user_roles WHERE role = 'apprentice'").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		res, err := cl.ForPeople(ctx, ids, asOf)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, due := range reminders.DueFor(res, asOf, now) {
			if left := asOf.DaysUntil(due.On); left >= 0 && left <= reminders.Thresholds[0] {
				want[due.PersonID] = true
			}
		}
		var got []string
		if err := d.NewRaw("SELECT DISTINCT person_id FROM notifications").Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if len(want) <= 2*page {
			t.Fatalf("only %d people have something due; the test needs them on more than two pages", len(want))
		}
		if len(got) != len(want) {
			t.Fatalf("reminded %d people, want %d", len(got), len(want))
		}
		for _, id := range got {
			if !want[id] {
				t.Fatalf("%s reminded but has nothing due", id)
			}
		}
		// HR (all sites) hears about every one of them, also about people
		// whose cards run out on the same day.
		hr, err := acc.ByEmail(ctx, scale.HREmail)
		if err != nil {
			t.Fatal(err)
		}
		var told int
		if err := d.NewRaw("SELECT COUNT(DISTINCT person_id) FROM notifications WHERE recipient_id = ?", hr.ID).Scan(ctx, &told); err != nil {
			t.Fatal(err)
		}
		if told != len(want) {
			t.Fatalf("HR was told about %d people, want %d", told, len(want))
		}
		// A second run finds everything sent already.
		if n, err := s.Run(ctx); err != nil || n != 0 {
			t.Fatalf("second run created %d (%v); want none", n, err)
		}
	})
}
