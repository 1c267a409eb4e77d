package lapses_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/app/webhooks/webhookstest"
	"github.com/skillgate/skillgate/curriculum"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestLapsedOnTheDayTheBLSCardEnds: a BLS card valid through March clears
// an apprentice for vital signs until March 31; with an injected clock
// walking day by day, credential.expiring comes 14 days before the card's
// last day, clearance.lapsing 14 days before the lapse day, and on April 1
// credential.expired and clearance.lapsed, each once however often the
// job runs.
func TestLapsedOnTheDayTheBLSCardEnds(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		loc, _ := time.LoadLocation("America/New_York")
		clk := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, loc).UTC()}
		svc := webhookstest.Services(t, d, clk.Now)
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		c := webhookstest.NewClinic(t, svc, credentials.NewRecord{IssuedOn: curriculum.MustParseDate("2024-03-05"),
			ExpiresOn: curriculum.MustParseDate("2026-03-31"), ValidThroughMonth: true})
		ep, _, err := svc.Webhooks.Create(ctx, webhooks.Input{URL: "https://93.184.216.34/hook", Enabled: true,
			Events: []string{webhooks.ClearanceLapsing, webhooks.ClearanceLapsed, webhooks.CredentialExpiring, webhooks.CredentialExpired}}, c.Director.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.Observe(t, "lapse-obs")
		c.SignOff(t, "lapse-sign")

		got := map[string]string{} // event type -> day seen
		for day := time.Date(2026, 3, 10, 7, 0, 0, 0, loc); day.Before(time.Date(2026, 4, 3, 0, 0, 0, 0, loc)); day = day.AddDate(0, 0, 1) {
			clk.set(day.UTC())
			for range 2 { // twice a day: nothing twice
				if _, err := svc.Lapses.Run(ctx); err != nil {
					t.Fatal(err)
				}
			}
			ds, err := svc.Webhooks.Deliveries(ctx, ep.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, dl := range ds {
				if _, seen := got[dl.EventType]; !seen {
					got[dl.EventType] = day.Format("2006-01-02")
				}
			}
			if len(ds) > 4 {
				t.Fatalf("%s: %d deliveries, want at most 4 in all", day.Format("Jan 2"), len(ds))
			}
		}
		want := map[string]string{webhooks.CredentialExpiring: "2026-03-17", webhooks.ClearanceLapsing: "2026-03-18",
			webhooks.CredentialExpired: "2026-04-01", webhooks.ClearanceLapsed: "2026-04-01"}
		var keys []string
		for k := range want {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if got[k] != want[k] {
				t.Errorf("%s on %q, want %s", k, got[k], want[k])
			}
		}
	})
}
