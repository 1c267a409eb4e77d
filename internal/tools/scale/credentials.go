package scale

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/curriculum"
)

var issuers = map[string]string{
	"BLS": "American Heart Association", "CCMA": "National Healthcareer Association", "CPT": "National Healthcareer Association",
	"CMA": "American Association of Medical Assistants", "RMA": "American Medical Technologists",
	"MD": "State Medical Board", "DO": "State Medical Board", "PA": "State Medical Board",
	"RN": "State Board of Nursing", "LPN": "State Board of Nursing", "NP": "State Board of Nursing",
}

// card is one credential's dates.
type card struct{ issued, expires curriculum.Date }

// monthStart is the first day of d's month.
func monthStart(d curriculum.Date) curriculum.Date { return d.AddDays(1 - d.Day()) }

// blsChain returns BLS cards (valid two years, through the end of the
// month) ending with one that expires on last, renewed about a month
// before each expiry, back to one held at hire.
func blsChain(r *rand.Rand, hire, last curriculum.Date) []card {
	c := card{issued: monthStart(last.AddMonths(-24)).AddDays(r.IntN(27)), expires: last}
	out := []card{c}
	for c.issued.After(hire.AddDays(60)) && len(out) < 10 {
		exp := c.issued.AddDays(r.IntN(40)).EndOfMonth()
		c = card{issued: monthStart(exp.AddMonths(-24)).AddDays(r.IntN(27)), expires: exp}
		out = append(out, c)
	}
	return out
}

// lastBLSExpiry is the expiry date of the newest card for a state.
func lastBLSExpiry(r *rand.Rand, asOf curriculum.Date, s blsState) curriculum.Date {
	switch s {
	case blsExpiring30:
		return asOf.EndOfMonth()
	case blsExpiring60:
		return asOf.AddDays(31).EndOfMonth()
	case blsExpiring90:
		return asOf.AddDays(61).EndOfMonth()
	case blsExpired:
		return asOf.AddMonths(-(1 + r.IntN(10))).EndOfMonth()
	}
	return asOf.AddDays(92 + r.IntN(600)).EndOfMonth()
}

// record makes a verified credential record entered some days after the
// card was issued (never after today, never before the person's account).
func (g *generator) record(r *rand.Rand, person, typ string, c card, notBefore time.Time, verified bool) credentials.Record {
	asOf := g.o.AsOf
	day := c.issued.AddDays(r.IntN(15))
	if day.After(asOf) {
		day = asOf
	}
	at := g.at(r, day)
	if at.Before(notBefore) {
		at = notBefore.Add(time.Duration(r.IntN(3600)) * time.Second)
	}
	rec := credentials.Record{ID: newID(r, at), PersonID: person, TypeCode: typ, IssuingBody: issuers[typ],
		Number: fmt.Sprintf("%s-%08d", typ, r.IntN(100_000_000)), IssuedOn: c.issued, ExpiresOn: c.expires,
		ValidThroughMonth: typ == "BLS", RecordedAt: at, RecordedBy: g.hrID}
	if verified {
		v := at.Add(time.Duration(1+r.IntN(72)) * time.Hour)
		if limit := asOf.AddDays(1).Time(g.loc).UTC().Add(-time.Minute); v.After(limit) {
			v = at.Add(time.Minute)
		}
		rec.VerifiedAt, rec.VerifiedBy, rec.VerificationMethod = &v, g.hrID, "checked at the issuer's online verification"
	}
	return rec
}

// certChain returns certificates of validity months from first, renewed
// until one covers today (or, when lapse, the last one left to expire).
func certChain(r *rand.Rand, first, asOf curriculum.Date, months int, lapse bool) []card {
	var out []card
	c := card{issued: first, expires: first.AddMonths(months).AddDays(-1)}
	for len(out) < 12 {
		out = append(out, c)
		if c.expires.After(asOf) || (lapse && c.expires.AddMonths(months).After(asOf)) {
			break
		}
		next := c.expires.AddDays(-r.IntN(60))
		c = card{issued: next, expires: next.AddMonths(months).AddDays(-1)}
	}
	return out
}

// credentials plans every person's credential history and writes it:
// preceptors' licences and BLS cards (valid, so their signatures are), the
// medical assistants' BLS cards in the spread of blsState, certifications
// for most graduates, then older cards to reach the requested count.
func (g *generator) credentials(ctx context.Context) error {
	asOf := g.o.AsOf
	r := g.rng
	var recs []credentials.Record
	longAgo := asOf.AddMonths(-84)
	for i := range g.preceptors {
		p := &g.preceptors[i]
		created := g.at(r, longAgo.AddDays(-1))
		lic := string(p.signer.Credential)
		validity := 24
		if lic == "CMA" {
			validity = 60
		}
		for _, c := range certChain(r, longAgo.AddDays(-r.IntN(700)), asOf, validity, false) {
			recs = append(recs, g.record(r, p.signer.ID, lic, c, created, true))
		}
		last := asOf.AddDays(92 + r.IntN(600)).EndOfMonth()
		if r.IntN(20) == 0 {
			last = asOf.AddDays(1 + r.IntN(60)).EndOfMonth()
		}
		for _, c := range blsChain(r, longAgo, last) {
			recs = append(recs, g.record(r, p.signer.ID, "BLS", c, created, true))
		}
	}
	// The signers' records as the rules see them.
	byPerson := map[string][]curriculum.CredentialRecord{}
	for i := range recs {
		byPerson[recs[i].PersonID] = append(byPerson[recs[i].PersonID], recs[i].Curriculum(g.loc))
	}
	for i := range g.preceptors {
		g.preceptors[i].signer.Records = byPerson[g.preceptors[i].signer.ID]
	}
	for i := range g.mas {
		m := &g.mas[i]
		created := g.at(r, m.hire.AddDays(-7))
		if m.bls != blsMissing && m.bls != blsInGrace {
			chain := blsChain(r, m.hire, lastBLSExpiry(r, asOf, m.bls))
			for k, c := range chain {
				m.creds = append(m.creds, g.record(r, m.id, "BLS", c, created, !(k == 0 && m.bls == blsUnchecked)))
			}
		}
		if m.graduate && r.IntN(10) < 6 {
			typ, months := "CCMA", 24
			switch n := r.IntN(10); {
			case n < 3:
				typ, months = "CMA", 60
			case n < 5:
				typ, months = "RMA", 36
			}
			first := m.hire.AddDays(360 + r.IntN(240))
			if first.After(asOf) {
				first = asOf
			}
			for _, c := range certChain(r, first, asOf, months, r.IntN(10) == 0) {
				m.creds = append(m.creds, g.record(r, m.id, typ, c, created, true))
			}
		}
		recs = append(recs, m.creds...)
	}
	// Older history (cards from earlier employers, a lapsed phlebotomy
	// certificate) up to the requested count; it never changes a decision,
	// because every such card expired before the person was hired.
	extra := g.o.Credentials - len(recs)
	if extra < 0 {
		g.res.CredentialsNote = fmt.Sprintf("%d requested, but the generated people need %d for a plausible history", g.o.Credentials, len(recs))
	}
	for k := 0; extra > 0; k++ {
		progress := false
		for i := range g.mas {
			if extra == 0 {
				break
			}
			m := &g.mas[i]
			if m.bls == blsMissing || m.bls == blsInGrace {
				continue // their point is to have no BLS at all
			}
			exp := m.hire.AddMonths(-(1 + 25*k + r.IntN(20))).EndOfMonth()
			typ := "BLS"
			if r.IntN(10) < 3 {
				typ = "CPT"
			}
			c := card{issued: monthStart(exp.AddMonths(-24)).AddDays(r.IntN(27)), expires: exp}
			rec := g.record(r, m.id, typ, c, g.at(r, m.hire.AddDays(-7)), true)
			rec.Notes = "from a previous employer"
			recs = append(recs, rec)
			extra--
			progress = true
		}
		if !progress {
			// Nobody may take older cards (everyone is a new hire without
			// BLS): give them to preceptors instead.
			for i := 0; extra > 0; i = (i + 1) % len(g.preceptors) {
				p := &g.preceptors[i]
				exp := longAgo.AddMonths(-(1 + r.IntN(60))).EndOfMonth()
				recs = append(recs, g.record(r, p.signer.ID, "BLS", card{issued: monthStart(exp.AddMonths(-24)), expires: exp}, g.at(r, longAgo.AddDays(-1)), true))
				extra--
			}
		}
	}
	g.res.Credentials = len(recs)
	for start := 0; start < len(recs); start += 5000 {
		if err := credentials.InsertRecords(ctx, g.l, recs[start:min(start+5000, len(recs))]); err != nil {
			return err
		}
	}
	return g.auditTrail(ctx, recs)
}
