package curriculum

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkEvaluateOrganisation evaluates 20,000 people × 25 tasks of the
// shipped program from evidence already in memory, on one goroutine.
//
// Measured on the 2-core build machine (go test ./curriculum/ -run '^$'
// -bench EvaluateOrganisation -benchmem):
//
//	BenchmarkEvaluateOrganisation-2   4   284838414 ns/op   135946354 B/op   40006 allocs/op
//	BenchmarkEvaluateOrganisation-2   4   297670210 ns/op   135946354 B/op   40006 allocs/op
//
// i.e. about 0.3 s per organisation (15 µs per person) with two
// allocations per person: the decisions and one backing array for all
// their reasons. Before Reason was made compact (one pointer, text on
// demand) it was 0.51 s and 300 MB per op; most of the rest is garbage
// collection scanning the 20,000 people's evidence.
func BenchmarkEvaluateOrganisation(b *testing.B) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		b.Fatal(err)
	}
	v.Program.Tasks = v.Program.Tasks[:25]
	rules := mustCompile(b, v)
	people := syntheticOrganisation(&v.Program, 20000)
	asOf := d("2026-11-15")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cleared := 0
		for i := range people {
			for _, dec := range rules.Evaluate(&people[i], asOf) {
				if dec.Status == Cleared {
					cleared++
				}
			}
		}
		if cleared == 0 {
			b.Fatal("nobody cleared for anything: the synthetic evidence is wrong")
		}
	}
}

// syntheticOrganisation makes n people at every stage: new hires with a
// few records, apprentices part way, and graduates with full counts,
// sign-offs, re-verifications, BLS renewals and the odd correction.
func syntheticOrganisation(p *Program, n int) []Evidence {
	rng := rand.New(rand.NewPCG(1, 2))
	base := d("2024-01-01")
	people := make([]Evidence, n)
	for i := range people {
		e := &people[i]
		hire := base.AddDays(rng.IntN(1000))
		e.HireDate = hire
		e.Credentials = append(e.Credentials, CredentialRecord{Type: "BLS", IssuedOn: hire.AddDays(rng.IntN(120) - 30), Verified: rng.IntN(10) > 0})
		if rng.IntN(2) == 0 {
			e.Credentials = append(e.Credentials, CredentialRecord{Type: "BLS", IssuedOn: hire.AddDays(700), Verified: true},
				CredentialRecord{Type: "CMA", IssuedOn: hire.AddDays(400), Verified: true})
		}
		progress := rng.Float64() * 1.2 // share of each count done; >1 for graduates
		for ci := range p.Competencies {
			c := &p.Competencies[ci]
			day := hire.AddDays(rng.IntN(60))
			complete := true
			for _, pr := range c.Performances {
				k := int(float64(pr.Count) * progress)
				if k < pr.Count {
					complete = false
				}
				for j := range min(k, pr.Count+2) {
					e.Performances = append(e.Performances, Performance{Competency: c.Code, Variant: pr.Variant,
						PerformedOn: day.AddDays(j * 3), Successful: rng.IntN(20) > 0})
				}
			}
			if rng.IntN(50) == 0 && len(e.Performances) > 0 {
				last := len(e.Performances) - 1
				e.Performances[last].ID = "p"
				e.Performances = append(e.Performances, Performance{ID: "q", Supersedes: "p", Competency: c.Code,
					PerformedOn: e.Performances[last].PerformedOn, RecordedOn: day.AddDays(90)})
			}
			if c.KnowledgeTest != nil && progress > 0.2 {
				e.KnowledgeTests = append(e.KnowledgeTests, KnowledgeResult{Competency: c.Code, Score: 60 + rng.Float64()*40, TakenOn: day})
			}
			if complete {
				var covered []string
				if c.Coverage != nil {
					for _, it := range c.Coverage.Items {
						covered = append(covered, it.Code)
					}
				}
				signed := day.AddDays(40)
				e.SignOffs = append(e.SignOffs, SignOff{Competency: c.Code, Kind: InitialSignOff, SignedOn: signed, Covered: covered})
				if rng.IntN(2) == 0 {
					e.SignOffs = append(e.SignOffs, SignOff{Competency: c.Code, Kind: ReverificationSignOff, SignedOn: signed.AddMonths(6), Covered: covered})
				}
			}
		}
	}
	return people
}
