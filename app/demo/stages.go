package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// trainer records demo evidence through the same rules as the pages, with
// a clock it moves through the past so each record carries a realistic
// date.
type trainer struct {
	ctx       context.Context
	svc       *evidence.Service
	creds     *credentials.Store
	people    *accounts.Store
	day       curriculum.Date
	versionID string
	director  assessments.Actor
	keys      int
}

func (t *trainer) now() time.Time {
	return t.day.Time(curriculum.DefaultLocation()).Add(11 * time.Hour).UTC()
}

func (t *trainer) key() string { t.keys++; return fmt.Sprintf("demo-seed-%05d", t.keys) }

func (t *trainer) at(d curriculum.Date) *trainer { t.day = d; return t }

// credential adds a verified credential record.
func (t *trainer) credential(person, typ string, issued, expires curriculum.Date) error {
	r, err := t.creds.Add(t.ctx, credentials.NewRecord{PersonID: person, TypeCode: typ, IssuedOn: issued, ExpiresOn: expires,
		Number: fmt.Sprintf("%s-%d", typ, 100000+t.keys), IssuingBody: issuer[typ]})
	if err != nil {
		return err
	}
	t.keys++
	_, err = t.creds.Verify(t.ctx, r.ID, t.director.ID, "checked the issuer's online verification")
	return err
}

var issuer = map[string]string{"BLS": "American Heart Association", "RN": "State Board of Nursing", "MD": "State Medical Board", "CCMA": "National Healthcareer Association"}

// ReasonHireDate is the reason recorded with a demo apprentice's hire date.
const ReasonHireDate = "demo seed: the hire date their enrollment gives"

type apprenticeship struct {
	t  *trainer
	id string
}

// enroll records hire as the person's hire date (as HR would have, before
// the enrollment that repeats it) and enrolls them hired and starting then.
func (t *trainer) enroll(p *accounts.Person, site string, hire curriculum.Date, preceptors []string, status assessments.EnrollmentStatus) (*apprenticeship, error) {
	t.at(hire)
	if err := t.people.SetHireDate(t.ctx, p.ID, hire.String(), ReasonHireDate); err != nil {
		return nil, fmt.Errorf("hire date of %s: %w", p.Email, err)
	}
	e, _, err := t.svc.Enroll(t.ctx, assessments.Enrollment{ApprenticeID: p.ID, VersionID: t.versionID, SiteID: site,
		HireDate: hire, StartDate: hire, PreceptorIDs: preceptors, Status: status, IdempotencyKey: t.key()}, t.director.ID)
	if err != nil {
		return nil, fmt.Errorf("enroll %s: %w", p.Email, err)
	}
	return &apprenticeship{t: t, id: e.ID}, nil
}

// observe records n successful observations on the trainer's day.
func (a *apprenticeship) observe(code, variant string, n int, by assessments.Actor) error {
	e, err := a.t.svc.Head(a.t.ctx, a.id)
	if err != nil {
		return err
	}
	c := e.Version.Competency(code)
	if c == nil {
		return fmt.Errorf("demo: no competency %s", code)
	}
	steps := make([]assessments.StepResult, len(c.Checklist))
	for j := range c.Checklist {
		steps[j] = assessments.StepResult{Index: j, Met: true}
	}
	for i := 0; i < n; i++ {
		if _, _, err := a.t.svc.Observe(a.t.ctx, e, by, assessments.ObservationRequest{IdempotencyKey: a.t.key(), Competency: code,
			Variant: variant, ChecklistVersion: c.ChecklistVersion, PerformedOn: a.t.day, Steps: steps}); err != nil {
			return fmt.Errorf("demo observation of %s: %w", code, err)
		}
	}
	return nil
}

func (a *apprenticeship) test(code string, score float64, by assessments.Actor) error {
	e, err := a.t.svc.Head(a.t.ctx, a.id)
	if err != nil {
		return err
	}
	_, _, err = a.t.svc.RecordTest(a.t.ctx, e, by, assessments.TestResultRequest{IdempotencyKey: a.t.key(), Competency: code, Score: score, TakenOn: a.t.day})
	return err
}

func (a *apprenticeship) signOff(code, name string, by assessments.Actor) error {
	// Read after the observations, which the sign-off's rules count.
	rec, err := a.t.svc.Enrollment(a.t.ctx, a.id)
	if err != nil {
		return err
	}
	_, _, err = a.t.svc.SignOff(a.t.ctx, rec, by, assessments.SignOffRequest{IdempotencyKey: a.t.key(), Competency: code,
		Kind: curriculum.InitialSignOff, ApprenticeName: name})
	if err != nil {
		return fmt.Errorf("demo sign-off of %s: %w", code, err)
	}
	return nil
}

// hours logs a day's work for the apprentice on each of days (on-the-job
// hours, and every fourth day a related-instruction session), and has the
// supervisor approve those before approveBefore: the rest stay pending,
// as in a real week.
func (a *apprenticeship) hours(apprentice, supervisor assessments.Actor, days []curriculum.Date, approveBefore curriculum.Date) error {
	ma, err := curriculum.MedicalAssistantProgram() // the program the demo enrolls in
	if err != nil {
		return err
	}
	wps, rti := ma.Program.WorkProcesses, ma.Program.RTICourses
	for i, d := range days {
		a.t.at(d)
		reqs := []assessments.HoursRequest{{Kind: assessments.OJL, Code: wps[i%len(wps)].Code, WorkedOn: d,
			Minutes: assessments.Minutes(6+i%3) * assessments.MinutesPerHour, SupervisorID: supervisor.ID, Note: "clinic floor"}}
		if len(rti) > 0 && i%4 == 3 {
			reqs = append(reqs, assessments.HoursRequest{Kind: assessments.RTI, Code: rti[i%len(rti)].Code, WorkedOn: d,
				Minutes: 2 * assessments.MinutesPerHour, Note: "evening class"})
		}
		for _, req := range reqs {
			req.IdempotencyKey = a.t.key()
			rec, err := a.t.svc.Enrollment(a.t.ctx, a.id)
			if err != nil {
				return err
			}
			h, _, err := a.t.svc.LogHours(a.t.ctx, rec, apprentice, req)
			if err != nil {
				return fmt.Errorf("demo hours on %s: %w", d, err)
			}
			if d.Before(approveBefore) {
				if err := a.t.svc.ReviewHours(a.t.ctx, h.ID, supervisor, true, ""); err != nil {
					return fmt.Errorf("demo approval of hours on %s: %w", d, err)
				}
			}
		}
	}
	return nil
}

// training logs hours of RTI course code on day, approved by supervisor
// the same day: the clock hours of training some competencies require
// before the person is cleared (16 CCR 1366.1).
func (a *apprenticeship) training(apprentice, supervisor assessments.Actor, code string, hours int) error {
	rec, err := a.t.svc.Enrollment(a.t.ctx, a.id)
	if err != nil {
		return err
	}
	h, _, err := a.t.svc.LogHours(a.t.ctx, rec, apprentice, assessments.HoursRequest{IdempotencyKey: a.t.key(), Kind: assessments.RTI,
		Code: code, WorkedOn: a.t.day, Minutes: assessments.Minutes(hours) * assessments.MinutesPerHour, SupervisorID: supervisor.ID, Note: "skills lab"})
	if err != nil {
		return fmt.Errorf("demo training hours of %s: %w", code, err)
	}
	return a.t.svc.ReviewHours(a.t.ctx, h.ID, supervisor, true, "")
}

// workdays are the weekdays among the n days before today, oldest first.
func workdays(today curriculum.Date, n int) []curriculum.Date {
	var out []curriculum.Date
	for i := n; i >= 1; i-- {
		d := today.AddDays(-i)
		if wd := d.Time(time.UTC).Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

// complete takes a competency through test (if any), observations and
// sign-off, on the trainer's day.
func (a *apprenticeship) complete(code, name string, by assessments.Actor) error {
	rec, err := a.t.svc.Enrollment(a.t.ctx, a.id)
	if err != nil {
		return err
	}
	c := rec.Enrollment.Version.Competency(code)
	if c.KnowledgeTest != nil {
		if err := a.test(code, 92, by); err != nil {
			return err
		}
	}
	for _, req := range c.Performances {
		if err := a.observe(code, req.Variant, req.Count, by); err != nil {
			return err
		}
	}
	return a.signOff(code, name, by)
}

// seedStages enrolls the demo apprentices at different stages: one almost
// done (BLS expiring within 30 days), one just started (no BLS yet, inside
// the 90-day grace after hire), one with an overdue annual re-verification
// and an expired BLS, and a graduate who is fully cleared.
func seedStages(ctx context.Context, tx bun.Tx, st *accounts.Store, progs *programs.Store, versionID string, sites []string, today curriculum.Date) error {
	people := map[string]*accounts.Person{}
	for _, a := range Accounts {
		p, err := st.ByEmail(ctx, a.Email)
		if err != nil {
			return err
		}
		people[a.Email] = p
	}
	svc := evidence.NewService(tx, progs)
	t := &trainer{ctx: ctx, svc: svc, creds: svc.Credentials, people: st, versionID: versionID, director: evidence.ActorOf(people["director@demo.test"])}
	svc.Now, svc.Credentials.Now = t.now, t.now
	rn, md := evidence.ActorOf(people["preceptor@demo.test"]), evidence.ActorOf(people["physician@demo.test"])

	// Clinicians' own licences and BLS, so their signatures are valid.
	t.at(today.AddMonths(-30))
	for _, p := range []*accounts.Person{people["preceptor@demo.test"], people["physician@demo.test"], people["director@demo.test"]} {
		if err := t.credential(p.ID, p.Credential, today.AddMonths(-30), today.AddMonths(30)); err != nil {
			return err
		}
		if err := t.credential(p.ID, "BLS", today.AddMonths(-6), today.AddMonths(18).EndOfMonth()); err != nil {
			return err
		}
	}
	basics := []string{"SAF-INFECT", "SAF-BBP", "SAF-HIPAA", "VS-VITALS", "VS-MEASURE"}

	// Jordan: almost done. Hired 8 months ago; BLS valid through the end of
	// this month (so expiring within 30 days); venipuncture at 8 of 10, its
	// 10 hours of phlebotomy training done.
	jordan := people["apprentice@demo.test"]
	hire := today.AddMonths(-8)
	a, err := t.enroll(jordan, sites[0], hire, []string{rn.ID, md.ID}, assessments.EnrollmentActive)
	if err != nil {
		return err
	}
	if err := t.credential(jordan.ID, "BLS", hire.AddDays(-300), today.EndOfMonth()); err != nil {
		return err
	}
	t.at(hire.AddMonths(1))
	for _, c := range basics {
		if err := a.complete(c, jordan.Name, rn); err != nil {
			return err
		}
	}
	t.at(today.AddDays(-20))
	if err := a.complete("MED-REFILL", jordan.Name, md); err != nil {
		return err
	}
	if err := a.training(evidence.ActorOf(jordan), rn, "PHLEB", 10); err != nil {
		return err
	}
	if err := a.test("PHL-VENI", 88, rn); err != nil {
		return err
	}
	if err := a.observe("PHL-VENI", "", 8, rn); err != nil {
		return err
	}

	// Sam: just started. Hired 30 days ago, no BLS yet (inside the 90-day
	// grace), infection control in progress.
	sam := people["apprentice2@demo.test"]
	a, err = t.enroll(sam, sites[0], today.AddDays(-30), []string{rn.ID}, assessments.EnrollmentActive)
	if err != nil {
		return err
	}
	t.at(today.AddDays(-10))
	if err := a.observe("SAF-INFECT", "", 2, rn); err != nil {
		return err
	}
	// Four weeks of hours, approved. (Jordan has only his phlebotomy
	// training: the tests walk his on-the-job hours from zero.)
	if err := a.hours(evidence.ActorOf(sam), rn, workdays(today, 28), today); err != nil {
		return err
	}

	// Riley: overdue. Refill competency signed 14 months ago (annual
	// re-verification overdue), BLS expired last month.
	riley := people["apprentice3@demo.test"]
	hire = today.AddMonths(-20)
	a, err = t.enroll(riley, sites[1], hire, []string{md.ID}, assessments.EnrollmentActive)
	if err != nil {
		return err
	}
	if err := t.credential(riley.ID, "BLS", hire.AddDays(10), today.AddMonths(-1).EndOfMonth()); err != nil {
		return err
	}
	// Two weeks of hours; the last three workdays wait for Dr. Hale's
	// approval (in his review queue, not Priya's). Counted in workdays:
	// "the last four calendar days" held two workdays from Monday to
	// Wednesday, and the demo's queue was thinner on those days.
	days := workdays(today, 14)
	if err := a.hours(evidence.ActorOf(riley), md, days, days[len(days)-3]); err != nil {
		return err
	}
	t.at(today.AddMonths(-14))
	// Emergency response needs BLS: not cleared until the card is renewed.
	for _, c := range append(basics[:3:3], "MED-REFILL", "SAF-EMERG") {
		if err := a.complete(c, riley.Name, md); err != nil {
			return err
		}
	}

	// Casey: graduate, cleared for the basics and venipuncture, BLS valid.
	casey := people["graduate@demo.test"]
	hire = today.AddMonths(-26)
	a, err = t.enroll(casey, sites[1], hire, []string{md.ID}, assessments.EnrollmentActive)
	if err != nil {
		return err
	}
	if err := t.credential(casey.ID, "BLS", today.AddMonths(-3), today.AddMonths(21).EndOfMonth()); err != nil {
		return err
	}
	if err := t.credential(casey.ID, "CCMA", today.AddMonths(-12), today.AddMonths(12)); err != nil {
		return err
	}
	t.at(today.AddMonths(-2))
	if err := a.training(evidence.ActorOf(casey), md, "PHLEB", 10); err != nil {
		return err
	}
	for _, c := range append(basics, "PHL-VENI") {
		if err := a.complete(c, casey.Name, md); err != nil {
			return err
		}
	}
	return nil
}
