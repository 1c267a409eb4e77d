package documents

import (
	"fmt"
	"time"

	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// RecordInput is what a competency record is made from: the apprentice,
// their records in the enrollment in force on AsOf (as the clearance
// service loads them), and the stamp of this printing.
type RecordInput struct {
	Name, EmployeeID, HireDate string
	Records                    *assessments.Records
	AsOf                       curriculum.Date
	Stamp                      Stamp
}

// RecordFrom builds the record of in as it stood at the end of in.AsOf in
// the program's zone: records written later are left out, and reviews made
// later read as still pending, so the record of a past day is the one that
// could have been printed that evening.
func RecordFrom(in RecordInput) *Record {
	e := in.Records.Enrollment
	pv := e.Version
	loc := pv.Location()
	end := in.AsOf.AddDays(1).Time(loc)
	rec := asOf(in.Records, in.AsOf, end)
	prog := assessments.Summarize(rec, end.Add(-time.Nanosecond))
	p := pv.Program()
	status, _ := e.StatusOn(in.AsOf)
	out := &Record{
		Person:  Identity{Name: in.Name, EmployeeID: in.EmployeeID, HireDate: in.HireDate},
		Program: p.Title, Version: pv.Rules.Version().Number, Started: e.StartDate.String(), Status: status.Label(),
		AsOf: in.AsOf.String(), Zone: loc.String(), SignedOff: prog.SignedOff, Total: prog.Total, Stamp: in.Stamp,
		EnrollmentID: e.ID,
	}
	sigs := map[string][]SignatureLine{}
	for i := range rec.SignOffs {
		so := &rec.SignOffs[i]
		sigs[so.Competency] = append(sigs[so.Competency], signatureLine(so, rec.Revocations, in.AsOf))
	}
	for i := range rec.PaperSignOffs {
		ps := &rec.PaperSignOffs[i]
		sigs[ps.Competency] = append(sigs[ps.Competency], paperLine(ps, pv, rec.Revocations, in.AsOf))
	}
	// Performances and tests transcribed from paper, marked as such.
	transcribed, paperTests := map[string]bool{}, map[string]bool{}
	for _, o := range rec.Observations {
		if o.TranscribedBy != "" {
			transcribed[o.ID] = true
		}
	}
	for _, l := range rec.SelfLogs {
		if l.TranscribedBy != "" {
			transcribed[l.ID] = true
		}
	}
	for _, t := range rec.Tests {
		if t.TranscribedBy != "" && !t.TakenOn.After(in.AsOf) {
			paperTests[t.Competency] = true
		}
	}
	for _, cp := range prog.Competencies {
		line := CompetencyLine{Code: cp.Code, Title: cp.Title, Domain: string(cp.Domain), Status: competencyStatus(cp), Signatures: sigs[cp.Code]}
		for _, id := range cp.Counted {
			if transcribed[id] {
				line.Transcribed++
			}
		}
		for _, v := range cp.Variants {
			label := v.Title
			if label == "" {
				label = v.Variant
			}
			if label == "" {
				label = "Observed"
			}
			line.Counts = append(line.Counts, Count{Label: label, Done: v.Successful, Required: v.Required})
		}
		if cp.TestRequired {
			switch {
			case !cp.Tested:
				line.Test = "Test not taken"
			case cp.TestPassed:
				line.Test = fmt.Sprintf("Test: best %g%% (passed)", cp.BestScore)
			default:
				line.Test = fmt.Sprintf("Test: best %g%% (not passed)", cp.BestScore)
			}
			if paperTests[cp.Code] {
				line.Test += "; includes a result transcribed from paper"
			}
		}
		if !cp.ReverificationDue.IsZero() {
			line.ReverificationDue = cp.ReverificationDue.String()
		}
		out.Competencies = append(out.Competencies, line)
	}
	paperHours := map[string]assessments.Minutes{}
	for _, h := range rec.Hours {
		if h.TranscribedBy != "" && h.Status == assessments.HoursApproved {
			paperHours[string(h.Kind)+":"+h.Code] += h.Minutes
		}
	}
	for _, h := range prog.Hours.WorkProcesses {
		out.Hours = append(out.Hours, hoursLine("On the job", h, paperHours[string(assessments.OJL)+":"+h.Code]))
	}
	for _, h := range prog.Hours.Courses {
		out.Hours = append(out.Hours, hoursLine("Instruction", h, paperHours[string(assessments.RTI)+":"+h.Code]))
	}
	types := map[string]string{}
	for _, ct := range p.CredentialTypes {
		types[ct.Code] = ct.Name
	}
	for i := range rec.Credentials {
		out.Credentials = append(out.Credentials, credentialLine(p, &rec.Credentials[i], types))
	}
	return out
}

func competencyStatus(cp assessments.CompetencyProgress) string {
	switch {
	case cp.Current:
		return "Current"
	case cp.SignedOff:
		return "Signed off " + cp.SignedOffOn.String() + ", not current"
	}
	return "Not signed off"
}

func hoursLine(kind string, h assessments.HoursTotal, paper assessments.Minutes) HoursLine {
	l := HoursLine{Kind: kind, Code: h.Code, Title: h.Title, Approved: hours(int(h.Approved)), Target: "—"}
	if paper > 0 {
		l.Approved += "\n(" + hours(int(paper)) + " transcribed from paper)"
	}
	if h.Target > 0 {
		l.Target = hours(int(h.Target))
	}
	if h.Pending > 0 {
		l.Pending = hours(int(h.Pending))
	}
	return l
}

func credentialLine(p *curriculum.Program, c *curriculum.CredentialRecord, names map[string]string) CredentialLine {
	l := CredentialLine{Type: c.Type, Number: c.Number, Expires: "does not expire", Verified: "not verified"}
	if n := names[c.Type]; n != "" && n != c.Type {
		l.Type = n + " (" + c.Type + ")"
	}
	if !c.IssuedOn.IsZero() {
		l.Issued = c.IssuedOn.String()
	}
	if ct := p.CredentialType(c.Type); ct != nil {
		if exp := ct.Expiry(c); !exp.IsZero() {
			l.Expires = exp.String()
		}
	} else if !c.ExpiresOn.IsZero() {
		l.Expires = c.ExpiresOn.String()
	}
	if c.Verified {
		l.Verified = "verified"
		if !c.VerifiedOn.IsZero() {
			l.Verified += " " + c.VerifiedOn.String()
		}
	}
	return l
}

// signatureLine is a sign-off's manifest, with its revocation if one was
// on file by the record's day.
func signatureLine(so *assessments.SignOff, revs []assessments.Revocation, asOf curriculum.Date) SignatureLine {
	s := &so.Signature
	kind := "initial sign-off"
	if so.Kind == curriculum.ReverificationSignOff {
		kind = "re-verification"
	}
	l := SignatureLine{ID: so.ID, Kind: kind + " of " + so.SignedOn.String(), PrintedName: s.PrintedName, Credential: string(s.Credential),
		SignedAt: ShowTime(s.SignedAt, zone(s.TimeZone)) + " (" + s.TimeZone + ")", Meaning: s.Meaning, Hash: s.Hash}
	for _, r := range revs {
		if r.SignOffID == so.ID {
			l.Revoked = RevocationText(r, asOf)
		}
	}
	return l
}

// paperLine is a paper sign-off transcribed from historical records, as
// printed: the signer's printed name and credential and the date on the
// form; there is no electronic signature, so no time or hash.
func paperLine(ps *assessments.PaperSignOff, pv *assessments.ProgramVersion, revs []assessments.Revocation, asOf curriculum.Date) SignatureLine {
	kind := "initial sign-off"
	if ps.Kind == curriculum.ReverificationSignOff {
		kind = "re-verification"
	}
	meaning := "Paper sign-off, not an electronic signature; it counts: the program allows paper sign-offs for this competency."
	if !ps.Counts(pv) {
		meaning = "Paper sign-off, not an electronic signature; it does not count: the program requires an electronic sign-off for this competency."
	}
	l := SignatureLine{ID: ps.ID, Kind: kind + " of " + ps.SignedOn.String() + " (on paper)", PrintedName: ps.PrintedName,
		Credential: string(ps.Credential), SignedAt: "on paper, " + ps.SignedOn.String() + "; transcribed " + ShowTime(ps.RecordedAt, pv.Location()),
		Meaning: meaning, Hash: "none (paper)", Transcribed: true}
	for _, r := range revs {
		if r.SignOffID == ps.ID {
			l.Revoked = RevocationText(r, asOf)
		}
	}
	return l
}

// RevocationText says how a revocation stands on day: in effect, or
// recorded and taking effect later.
func RevocationText(r assessments.Revocation, day curriculum.Date) string {
	if r.EffectiveOn.After(day) {
		return fmt.Sprintf("Revocation recorded by %s, effective from %s: %s", r.RevokerName, r.EffectiveOn, r.Reason)
	}
	return fmt.Sprintf("REVOKED effective %s by %s: %s", r.EffectiveOn, r.RevokerName, r.Reason)
}

func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// asOf copies r keeping what was on file before end (the end of day asOf):
// evidence written later is dropped, and reviews made later are undone
// (the entry reads as pending), since that is how it stood.
func asOf(r *assessments.Records, day curriculum.Date, end time.Time) *assessments.Records {
	out := &assessments.Records{Enrollment: r.Enrollment}
	for _, o := range r.Observations {
		if o.RecordedAt.Before(end) && !o.PerformedOn.After(day) {
			out.Observations = append(out.Observations, o)
		}
	}
	for _, l := range r.SelfLogs {
		if !l.LoggedAt.Before(end) {
			continue
		}
		if l.Status != assessments.SelfLogPending && !l.ReviewedAt.Before(end) {
			l.Status = assessments.SelfLogPending
		}
		out.SelfLogs = append(out.SelfLogs, l)
	}
	for _, t := range r.Tests {
		if t.RecordedAt.Before(end) {
			out.Tests = append(out.Tests, t)
		}
	}
	for _, s := range r.SignOffs {
		if s.Signature.SignedAt.Before(end) {
			out.SignOffs = append(out.SignOffs, s)
		}
	}
	for _, p := range r.PaperSignOffs {
		if p.RecordedAt.Before(end) && !p.SignedOn.After(day) {
			out.PaperSignOffs = append(out.PaperSignOffs, p)
		}
	}
	for _, v := range r.Revocations {
		if v.RecordedAt.Before(end) {
			out.Revocations = append(out.Revocations, v)
		}
	}
	for _, h := range r.Hours {
		if !h.LoggedAt.Before(end) || h.WorkedOn.After(day) {
			continue
		}
		if h.Status != assessments.HoursPending && !h.ReviewedAt.Before(end) {
			h.Status = assessments.HoursPending
		}
		out.Hours = append(out.Hours, h)
	}
	for _, c := range r.Credentials {
		if c.RecordedOn.After(day) {
			continue
		}
		if c.Verified && c.VerifiedOn.After(day) {
			c.Verified, c.VerifiedOn = false, curriculum.Date{}
		}
		out.Credentials = append(out.Credentials, c)
	}
	return out
}
