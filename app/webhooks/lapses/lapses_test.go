package lapses_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/app/webhooks/webhookstest"
	"github.com/skillgate/skillgate/assessments"
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
		site, _ := svc.Accounts.CreateSite(ctx, "Eastside")
		person := func(email string, cred string, role accounts.Role) *accounts.Person {
			p, err := svc.Accounts.Create(ctx, accounts.NewPerson{Email: email, Name: email, Credential: cred, Roles: []accounts.Role{role}, SiteIDs: []string{site.ID}})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		rn, ap, dir := person("rn@lapse.test", "RN", accounts.RolePreceptor), person("ma@lapse.test", "none", accounts.RoleApprentice),
			person("dir@lapse.test", "RN", accounts.RoleDirector)
		ep, _, err := svc.Webhooks.Create(ctx, webhooks.Input{URL: "https://93.184.216.34/hook", Enabled: true,
			Events: []string{webhooks.ClearanceLapsing, webhooks.ClearanceLapsed, webhooks.CredentialExpiring, webhooks.CredentialExpired}}, dir.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, err := curriculum.ParseProgram([]byte(webhookstest.Program))
		if err != nil {
			t.Fatal(err)
		}
		sv, err := svc.Programs.Create(ctx, v, dir.ID)
		if err != nil {
			t.Fatal(err)
		}
		day := func() curriculum.Date { return curriculum.DateOf(clk.Now(), loc) }
		creds := svc.Evidence.Credentials
		for _, c := range []credentials.NewRecord{
			{PersonID: rn.ID, TypeCode: "RN", IssuedOn: day().AddDays(-400), ExpiresOn: day().AddDays(700), Number: "RN-1"},
			{PersonID: ap.ID, TypeCode: "BLS", IssuedOn: curriculum.MustParseDate("2024-03-05"), ExpiresOn: curriculum.MustParseDate("2026-03-31"), ValidThroughMonth: true},
		} {
			r, err := creds.Add(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := creds.Verify(ctx, r.ID, dir.ID, "checked the card"); err != nil {
				t.Fatal(err)
			}
		}
		en, _, err := svc.Evidence.Enroll(ctx, assessments.Enrollment{ApprenticeID: ap.ID, VersionID: sv.ID, SiteID: site.ID, HireDate: day().AddDays(-30),
			StartDate: day().AddDays(-30), PreceptorIDs: []string{rn.ID}, IdempotencyKey: "lapse-enroll"}, dir.ID)
		if err != nil {
			t.Fatal(err)
		}
		rec := func() *assessments.Records {
			r, err := svc.Evidence.Enrollment(ctx, en.ID)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		by := evidence.ActorOf(rn)
		if _, _, err := svc.Evidence.Observe(ctx, rec(), by, assessments.ObservationRequest{IdempotencyKey: "lapse-obs", Competency: "VITALS",
			ChecklistVersion: 1, PerformedOn: day(), Steps: []assessments.StepResult{{Index: 0, Met: true}}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Evidence.SignOff(ctx, rec(), by, assessments.SignOffRequest{IdempotencyKey: "lapse-sign", Competency: "VITALS",
			Kind: curriculum.InitialSignOff, ApprenticeName: ap.Name}); err != nil {
			t.Fatal(err)
		}

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
