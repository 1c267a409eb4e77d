package wiring_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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

// causesProgram: VITALS needs a BLS card within 30 days of hire, one
// observation, a sign-off (webhookstest.Competency) and an hour of
// approved care; %s is the
// program code, %d the version number, %t whether unverified cards count
// and %s the task's credentials.
const causesProgram = `format: skillgate-program/1
number: %d
status: published
published_at: 2026-01-05T09:00:00Z
program:
  code: %s
  title: Clearance causes
  type: hybrid
  settings: {count_unverified_credentials: %t}
  work_processes:
    - {code: CARE, title: Patient care, min_hours: 2000, max_hours: 3000}
  credential_types:
    - {code: BLS, name: Basic Life Support, validity_months: 24}
  competencies:
` + webhookstest.Competency + `      training_hours: {hours: 1, work_processes: [CARE]}
  tasks:
    - code: VITALS
      title: Vital signs
      category: clinical
      competencies: [VITALS]
      credentials: [%s]
`

// TestClearanceChangedForEveryCause: every write that moves a person's
// level today emits clearance.changed in its transaction, with the level
// before and after, the day and the reasons, and a write that moves none
// emits nothing.
func TestClearanceChangedForEveryCause(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 6, 10, 16, 0, 0, 0, time.UTC)
		svc := webhookstest.Services(t, d, func() time.Time { return now })
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		site, err := svc.Accounts.CreateSite(ctx, "Eastside")
		if err != nil {
			t.Fatal(err)
		}
		today := curriculum.DateOf(now, svc.Config.Location())
		person := func(email, cred string, role accounts.Role, hired curriculum.Date) *accounts.Person {
			p, err := svc.Accounts.Create(ctx, accounts.NewPerson{Email: email, Name: email, Credential: cred, Roles: []accounts.Role{role},
				SiteIDs: []string{site.ID}, HireDate: hired.String()})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		dir, rn := person("dir@causes.test", "RN", accounts.RoleDirector, today), person("rn@causes.test", "RN", accounts.RolePreceptor, today)
		if _, err := svc.Evidence.Credentials.Add(ctx, credentials.NewRecord{PersonID: rn.ID, TypeCode: "RN", IssuedOn: today.AddDays(-400)}); err != nil {
			t.Fatal(err)
		}
		version := func(code string, number int, unverified bool, creds string) string {
			v, err := curriculum.ParseProgram(fmt.Appendf(nil, causesProgram, number, code, unverified, creds))
			if err != nil {
				t.Fatal(err)
			}
			sv, err := svc.Programs.Create(ctx, v, dir.ID)
			if number > 1 {
				if sv, err = svc.Programs.ImportDraft(ctx, v, dir.ID); err == nil {
					sv, err = svc.Programs.Publish(ctx, sv.ID, sv.LockVersion, dir.ID)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			return sv.ID
		}
		const bls = "{credential: BLS, within_days_of_hire: 30}"
		counts, verified := version("COUNTS", 1, true, bls), version("VERIFIED", 1, false, bls)
		verified2 := version("VERIFIED", 2, false, "")
		if _, _, err := svc.Webhooks.Create(ctx, webhooks.Input{URL: "https://93.184.216.34/hook", Enabled: true, Events: []string{webhooks.ClearanceChanged}}, dir.ID); err != nil {
			t.Fatal(err)
		}
		ev, byDir, byRN := svc.Evidence, evidence.ActorOf(dir), evidence.ActorOf(rn)
		records := func(id string) *assessments.Records {
			r, err := ev.Enrollment(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		type env struct {
			ap *accounts.Person
			en string
		}
		card := func(ap *accounts.Person) *credentials.Record {
			c, err := ev.Credentials.Add(ctx, credentials.NewRecord{PersonID: ap.ID, TypeCode: "BLS", IssuedOn: today.AddDays(-10), ExpiresOn: today.AddDays(700)})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// observed starts training (direct supervision needs it).
		observed := func(e env) {
			if _, _, err := ev.Observe(ctx, records(e.en).Enrollment, byRN, assessments.ObservationRequest{IdempotencyKey: "obs-" + e.en, Competency: "VITALS",
				ChecklistVersion: 1, PerformedOn: today, Steps: []assessments.StepResult{{Index: 0, Met: true}}}); err != nil {
				t.Fatal(err)
			}
		}
		signedOff := func(e env) {
			observed(e)
			if _, _, err := ev.SignOff(ctx, records(e.en), byRN, assessments.SignOffRequest{IdempotencyKey: "sign-" + e.en, Competency: "VITALS",
				Kind: curriculum.InitialSignOff, ApprenticeName: e.ap.Name}); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range []struct {
			name string
			// hired: days before today; version: the enrollment's.
			hired   int
			version string
			before  func(e env) // writes before the one under test
			cause   func(e env) error
			// want: "before>after" of VITALS, or "" for no event.
			want string
		}{
			{name: "credential added", before: observed, hired: 60, version: counts,
				cause: func(e env) error { card(e.ap); return nil }, want: "not_cleared>direct_supervision"},
			{name: "unverified credential added", before: observed, hired: 60, version: verified,
				cause: func(e env) error { card(e.ap); return nil }},
			{name: "credential verified", hired: 60, version: verified, before: func(e env) { card(e.ap); observed(e) },
				cause: func(e env) error { return verifyAll(ctx, ev.Credentials, e.ap.ID, dir.ID) }, want: "not_cleared>direct_supervision"},
			{name: "hire date corrected", before: observed, hired: 60, version: counts,
				cause: func(e env) error {
					return svc.Accounts.SetHireDate(ctx, e.ap.ID, today.AddDays(-5).String(), "offer letter")
				},
				want: "not_cleared>direct_supervision"},
			{name: "hours approved", hired: 5, version: counts, before: signedOff,
				cause: func(e env) error {
					h, _, err := ev.LogHours(ctx, records(e.en), evidence.ActorOf(e.ap), assessments.HoursRequest{IdempotencyKey: "hours-" + e.en,
						Kind: assessments.OJL, Code: "CARE", WorkedOn: today, Minutes: 90, SupervisorID: rn.ID})
					if err != nil {
						return err
					}
					return ev.ReviewHours(ctx, h.ID, byRN, true, "")
				}, want: "direct_supervision>cleared"},
			{name: "put on hold", before: observed, hired: 5, version: counts,
				cause: func(e env) error { return ev.ChangeStatus(ctx, e.en, byDir, assessments.EnrollmentOnHold, "leave") },
				want:  "direct_supervision>not_cleared"},
			{name: "withdrawn", before: observed, hired: 5, version: counts,
				cause: func(e env) error { return ev.ChangeStatus(ctx, e.en, byDir, assessments.EnrollmentWithdrawn, "left") },
				want:  "direct_supervision>not_cleared"},
			{name: "moved to a version without the card", before: observed, hired: 60, version: verified,
				cause: func(e env) error {
					_, err := ev.MoveToVersion(ctx, e.en, byDir, evidence.MoveRequest{IdempotencyKey: "move-" + e.en, ToVersionID: verified2, EffectiveOn: today})
					return err
				}, want: "not_cleared>direct_supervision"},
		} {
			t.Run(c.name, func(t *testing.T) {
				ap := person(fmt.Sprintf("ma%d@causes.test", i), "none", accounts.RoleApprentice, today.AddDays(-c.hired))
				en, _, err := ev.Enroll(ctx, assessments.Enrollment{ApprenticeID: ap.ID, VersionID: c.version, SiteID: site.ID,
					HireDate: today.AddDays(-c.hired), StartDate: today.AddDays(-c.hired), PreceptorIDs: []string{rn.ID}, IdempotencyKey: "enroll-" + ap.ID}, dir.ID)
				if err != nil {
					t.Fatal(err)
				}
				e := env{ap: ap, en: en.ID}
				if c.before != nil {
					c.before(e)
				}
				last := lastSeq(t, d)
				if err := c.cause(e); err != nil {
					t.Fatal(err)
				}
				got := changes(t, d, last)
				if c.want == "" {
					if len(got) != 0 {
						t.Fatalf("events %+v, want none", got)
					}
					return
				}
				if len(got) != 1 || got[0].PersonID != ap.ID || got[0].Task != "VITALS" || got[0].Before+">"+got[0].After != c.want ||
					got[0].AsOf != today.String() || got[0].SiteID != site.ID || len(got[0].Reasons) == 0 && got[0].After != "cleared" {
					r, err := svc.Clearance.For(ctx, ap.ID, today)
					if err == nil {
						t.Logf("now: %+v", r.Decisions)
					}
					t.Fatalf("events %+v, want one VITALS %s", got, c.want)
				}
			})
		}
	})
}

func verifyAll(ctx context.Context, st *credentials.Store, person, by string) error {
	recs, err := st.ForPerson(ctx, person)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if _, err := st.Verify(ctx, r.ID, by, "checked the eCard"); err != nil {
			return err
		}
	}
	return nil
}

func lastSeq(t *testing.T, d *db.DB) int64 {
	var n int64
	if err := d.NewSelect().Table("webhook_events").ColumnExpr("COALESCE(MAX(seq), 0)").Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// changes returns the clearance.changed data written after seq.
func changes(t *testing.T, d *db.DB, after int64) []webhooks.ClearanceData {
	var payloads []string
	if err := d.NewSelect().Table("webhook_events").Column("payload").Where("seq > ? AND type = ?", after, webhooks.ClearanceChanged).
		Order("seq").Scan(context.Background(), &payloads); err != nil {
		t.Fatal(err)
	}
	out := []webhooks.ClearanceData{}
	for _, p := range payloads {
		var v struct{ Data webhooks.ClearanceData }
		if err := json.Unmarshal([]byte(p), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v.Data)
	}
	slices.SortFunc(out, func(a, b webhooks.ClearanceData) int { return strings.Compare(a.Task, b.Task) })
	return out
}
