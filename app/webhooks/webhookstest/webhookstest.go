// Package webhookstest holds what the webhook tests share: a small program
// whose one task needs a BLS card, and services wired on a test database
// with an injected clock. Tests only.
package webhookstest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/wiring"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
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

// Clinic is a site with a director, an RN preceptor (licence on file and
// verified) and an apprentice enrolled in Program from 30 days before
// the services' day, with a verified BLS card.
type Clinic struct {
	Site                     *accounts.Site
	Director, RN, Apprentice *accounts.Person
	Enrollment               assessments.Enrollment
	svc                      *wiring.Services
	ctx                      context.Context
	today                    curriculum.Date
}

// NewClinic sets the clinic up; bls is the apprentice's card (PersonID
// and TypeCode are filled in).
func NewClinic(t testing.TB, svc *wiring.Services, bls credentials.NewRecord) *Clinic {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	c := &Clinic{svc: svc, ctx: ctx, today: curriculum.DateOf(svc.Now(), svc.Config.Location())}
	site, err := svc.Accounts.CreateSite(ctx, "Eastside")
	if err != nil {
		t.Fatal(err)
	}
	c.Site = site
	person := func(email, cred string, role accounts.Role) *accounts.Person {
		p, err := svc.Accounts.Create(ctx, accounts.NewPerson{Email: email, Name: email, Credential: cred, Roles: []accounts.Role{role}, SiteIDs: []string{site.ID}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	c.RN, c.Apprentice, c.Director = person("rn@hooks.test", "RN", accounts.RolePreceptor), person("ma@hooks.test", "none", accounts.RoleApprentice),
		person("dir@hooks.test", "RN", accounts.RoleDirector)
	v, err := curriculum.ParseProgram([]byte(Program))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := svc.Programs.Create(ctx, v, c.Director.ID)
	if err != nil {
		t.Fatal(err)
	}
	bls.PersonID, bls.TypeCode = c.Apprentice.ID, "BLS"
	creds := svc.Evidence.Credentials
	for _, n := range []credentials.NewRecord{
		{PersonID: c.RN.ID, TypeCode: "RN", IssuedOn: c.today.AddDays(-400), ExpiresOn: c.today.AddDays(700), Number: "RN-1"}, bls,
	} {
		r, err := creds.Add(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := creds.Verify(ctx, r.ID, c.Director.ID, "checked the card"); err != nil {
			t.Fatal(err)
		}
	}
	c.Enrollment, _, err = svc.Evidence.Enroll(ctx, assessments.Enrollment{ApprenticeID: c.Apprentice.ID, VersionID: sv.ID, SiteID: site.ID,
		HireDate: c.today.AddDays(-30), StartDate: c.today.AddDays(-30), PreceptorIDs: []string{c.RN.ID}, IdempotencyKey: "hooks-enroll"}, c.Director.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Observe records the RN's successful observation of VITALS today under
// key.
func (c *Clinic) Observe(t testing.TB, key string) {
	t.Helper()
	if _, _, err := c.svc.Evidence.Observe(c.ctx, c.records(t).Enrollment, evidence.ActorOf(c.RN), assessments.ObservationRequest{IdempotencyKey: key,
		Competency: "VITALS", ChecklistVersion: 1, PerformedOn: c.today, Steps: []assessments.StepResult{{Index: 0, Met: true}}}); err != nil {
		t.Fatal(err)
	}
}

// SignOff records the RN's initial sign-off of VITALS under key.
func (c *Clinic) SignOff(t testing.TB, key string) {
	t.Helper()
	if _, _, err := c.svc.Evidence.SignOff(c.ctx, c.records(t), evidence.ActorOf(c.RN), assessments.SignOffRequest{IdempotencyKey: key,
		Competency: "VITALS", Kind: curriculum.InitialSignOff, ApprenticeName: c.Apprentice.Name}); err != nil {
		t.Fatal(err)
	}
}

func (c *Clinic) records(t testing.TB) *assessments.Records {
	r, err := c.svc.Evidence.Enrollment(c.ctx, c.Enrollment.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
