package scale

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/bulkload"
)

type generator struct {
	o    Options
	l    *bulkload.Loader
	hash string
	res  *Result
	rng  *rand.Rand
	loc  *time.Location
	pv   *assessments.ProgramVersion

	sites      []accounts.Site
	preceptors []preceptor
	bySite     [][]int // preceptor indexes per site
	siteTasks  [][]int // per site, the order it teaches the program's tasks
	mas        []maPlan
	hrID       string
	directorID string
}

type preceptor struct {
	signer assessments.Signer
	site   int
}

// blsState is where a medical assistant's BLS card stands today: the
// spread HR sees in a large organisation.
type blsState uint8

const (
	blsValid blsState = iota
	blsExpiring30
	blsExpiring60
	blsExpiring90
	blsExpired
	blsMissing   // hired more than 90 days ago, never recorded one
	blsInGrace   // hired less than 90 days ago, none yet
	blsUnchecked // current card on file but not yet verified by HR
)

type maPlan struct {
	n        int // 1-based, for the login
	id       string
	name     string
	site     int
	graduate bool
	hire     curriculum.Date
	bls      blsState
	budget   int // observations
	seed     uint64
	creds    []credentials.Record
}

// day returns an instant on d in the organisation's zone, during the
// working day (08:00 to 17:59), with the minute drawn from r.
func (g *generator) at(r *rand.Rand, d curriculum.Date) time.Time {
	return d.Time(g.loc).Add(8*time.Hour + time.Duration(r.IntN(600))*time.Minute + time.Duration(r.IntN(60_000_000))*time.Microsecond).UTC()
}

func (g *generator) run(ctx context.Context) error {
	g.loc = curriculum.DefaultLocation()
	t0 := time.Now()
	pv, err := loadProgram(ctx, g)
	if err != nil {
		return err
	}
	g.pv = pv
	g.loc = pv.Location()
	if err := g.people(ctx); err != nil {
		return err
	}
	g.report("people", t0)
	t0 = time.Now()
	if err := g.credentials(ctx); err != nil {
		return err
	}
	g.report("credentials", t0)
	return g.evidence(ctx)
}

func (g *generator) report(what string, since time.Time) {
	took := time.Since(since)
	fmt.Fprintf(g.o.Progress, "%-12s done in %s\n", what, took.Round(time.Millisecond))
}

var (
	firstNames = []string{"Maria", "Jose", "Aaliyah", "Emily", "Sofia", "Jasmine", "Ashley", "Brianna", "Destiny", "Gabriela",
		"Kayla", "Alyssa", "Mariah", "Jessica", "Daniela", "Alexis", "Vanessa", "Priya", "Mei", "Linh",
		"Fatima", "Amara", "Chloe", "Hannah", "Olivia", "Isabella", "Samantha", "Nicole", "Tiana", "Rosa",
		"Michael", "Luis", "Andre", "Kevin", "Marcus", "Jordan", "Carlos", "David", "Tyler", "Omar"}
	lastNames = []string{"Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Johnson", "Williams", "Brown", "Jones", "Davis",
		"Miller", "Wilson", "Moore", "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris", "Martin",
		"Thompson", "Robinson", "Clark", "Lewis", "Nguyen", "Tran", "Patel", "Kim", "Chen", "Singh",
		"Okafor", "Mensah", "Walker", "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green"}
	towns = []string{"Riverside", "Northgate", "Lakeview", "Cedar Hill", "Maple Grove", "Oak Park", "Fairview", "Hillcrest",
		"Brookside", "Westfield", "Eastwood", "Sunnyvale", "Pine Ridge", "Harbor Point", "Mill Creek", "Stonebridge",
		"Elmhurst", "Greenfield", "Ashland", "Bayview", "Clearwater", "Kingsport", "Lincoln Heights", "Meadowbrook", "Springdale"}
	clinics = []string{"Family Medicine", "Pediatrics", "Internal Medicine", "Women's Health", "Urgent Care", "Primary Care", "Cardiology", "Dermatology"}
	// Preceptor credentials, roughly as staffed in outpatient clinics.
	preceptorCreds = []struct {
		cred   curriculum.ProfessionalCredential
		weight int
	}{{curriculum.RN, 40}, {curriculum.LPN, 15}, {curriculum.MD, 15}, {curriculum.DO, 4}, {curriculum.NP, 10}, {curriculum.PA, 6}, {curriculum.CMA, 6}, {curriculum.CCMA, 4}}
)

func personName(r *rand.Rand) string {
	return firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
}

func pickCred(r *rand.Rand) curriculum.ProfessionalCredential {
	total := 0
	for _, c := range preceptorCreds {
		total += c.weight
	}
	n := r.IntN(total)
	for _, c := range preceptorCreds {
		if n < c.weight {
			return c.cred
		}
		n -= c.weight
	}
	return curriculum.RN
}

// people plans and writes sites, staff, preceptors and medical assistants.
func (g *generator) people(ctx context.Context) error {
	r := g.rng
	asOf := g.o.AsOf
	origin := g.at(r, asOf.AddMonths(-84))
	for i := range g.o.Sites {
		name := fmt.Sprintf("%s %s", towns[i%len(towns)], clinics[(i/len(towns))%len(clinics)])
		if i >= len(towns)*len(clinics) {
			name = fmt.Sprintf("%s %d", name, i/(len(towns)*len(clinics))+1)
		}
		g.sites = append(g.sites, accounts.Site{ID: newID(r, origin), Name: name, CreatedAt: origin})
	}
	if err := accounts.InsertSites(ctx, g.l, g.sites); err != nil {
		return err
	}
	allSites := make([]string, len(g.sites))
	for i, s := range g.sites {
		allSites[i] = s.ID
	}
	var people []accounts.Person
	staff := func(email, name, cred string, roles ...accounts.Role) string {
		id := newID(r, origin)
		people = append(people, accounts.Person{ID: id, Email: email, Name: name, Credential: cred, Roles: roles, SiteIDs: allSites, CreatedAt: origin})
		return id
	}
	staff(AdminEmail, "Avery Administrator", "none", accounts.RoleAdmin)
	g.directorID = staff(DirectorEmail, "Dana Director", "RN", accounts.RoleDirector)
	g.hrID = staff(HREmail, "Harper Reyes", "none", accounts.RoleHR)
	staff(EHREmail, "EHR integration (system account)", "none", accounts.RoleHR)

	g.bySite = make([][]int, len(g.sites))
	for i := range g.o.Preceptors {
		// The first two are an RN (who may observe every competency) and a
		// physician (who alone may sign off non-waived testing), so that
		// even a tiny organisation can complete the program.
		cred := pickCred(r)
		switch i {
		case 0:
			cred = curriculum.RN
		case 1:
			cred = curriculum.MD
		}
		site := i % len(g.sites)
		id := newID(r, origin)
		name := personName(r)
		if cred == curriculum.MD || cred == curriculum.DO {
			name = "Dr. " + name
		}
		sites := []string{g.sites[site].ID}
		if i%7 == 3 && len(g.sites) > 1 { // some float between two clinics
			sites = append(sites, g.sites[(site+1)%len(g.sites)].ID)
		}
		people = append(people, accounts.Person{ID: id, Email: PreceptorEmail(i + 1), Name: name, Credential: string(cred),
			EmployeeID: fmt.Sprintf("P%05d", i+1), Roles: []accounts.Role{accounts.RolePreceptor}, SiteIDs: sites, CreatedAt: origin})
		g.preceptors = append(g.preceptors, preceptor{signer: assessments.Signer{Actor: assessments.Actor{ID: id, Name: name, Credential: cred, Preceptor: true}}, site: site})
		g.bySite[site] = append(g.bySite[site], i)
	}
	// Every site needs someone who may sign every competency: some
	// competencies (non-waived testing) only a physician may sign off.
	for s := range g.bySite {
		if len(g.bySite[s]) == 0 {
			g.bySite[s] = []int{s % len(g.preceptors)}
		}
	}

	g.mas = make([]maPlan, g.o.MAs)
	weights := make([]float64, g.o.MAs)
	total := 0.0
	for i := range g.mas {
		m := &g.mas[i]
		m.n = i + 1
		m.seed = r.Uint64()
		m.site = i % len(g.sites)
		m.name = personName(r)
		m.graduate = r.Float64() < 0.4
		var months float64
		if m.graduate {
			m.hire = asOf.AddDays(-(540 + r.IntN(1650))) // 18 months to 6 years ago
			// Longer tenure, more observed practice and re-verifications.
			weights[i] = 1.7 + 0.25*float64(m.hire.DaysUntil(asOf))/365
		} else {
			m.hire = asOf.AddDays(-r.IntN(600)) // up to 20 months ago
			months = float64(m.hire.DaysUntil(asOf)) / 30.4
			weights[i] = 0.15 + 1.3*min(1, months/16)
		}
		m.bls = pickBLS(r, m.hire.DaysUntil(asOf))
		total += weights[i]
		created := g.at(r, m.hire.AddDays(-7))
		m.id = newID(r, created)
		roles := []accounts.Role{accounts.RoleApprentice}
		cred := "none"
		people = append(people, accounts.Person{ID: m.id, Email: MAEmail(m.n), Name: m.name, Credential: cred,
			EmployeeID: fmt.Sprintf("M%06d", m.n), Roles: roles, SiteIDs: []string{g.sites[m.site].ID}, CreatedAt: created})
	}
	// Observation budgets: proportional to the weights, summing exactly to
	// the requested number.
	given := 0
	for i := range g.mas {
		g.mas[i].budget = int(float64(g.o.Observations) * weights[i] / total)
		given += g.mas[i].budget
	}
	for i := 0; given < g.o.Observations; i = (i + 1) % len(g.mas) {
		g.mas[i].budget++
		given++
	}
	return accounts.InsertPeople(ctx, g.l, people, g.hash)
}

func pickBLS(r *rand.Rand, daysSinceHire int) blsState {
	if daysSinceHire < 90 {
		if r.IntN(2) == 0 {
			return blsInGrace
		}
		return blsValid
	}
	switch n := r.IntN(100); {
	case n < 4:
		return blsExpiring30
	case n < 8:
		return blsExpiring60
	case n < 12:
		return blsExpiring90
	case n < 18:
		return blsExpired
	case n < 21:
		return blsMissing
	case n < 23:
		return blsUnchecked
	}
	return blsValid
}
