package curriculum

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestDecisionJSONKeepsTheAPIFormat: decisions written as DecisionJSON (as
// the site matrix does) are byte for byte what the API always wrote
// through MarshalJSON: the encoding below is the original one.
func TestDecisionJSONKeepsTheAPIFormat(t *testing.T) {
	type reasonOut struct {
		Code       ReasonCode `json:"code"`
		Effect     Effect     `json:"effect"`
		Competency string     `json:"competency,omitempty"`
		Credential string     `json:"credential,omitempty"`
		Variant    string     `json:"variant,omitempty"`
		Date       Date       `json:"date,omitzero"`
		Message    string     `json:"message"`
		Step       string     `json:"step,omitempty"`
		Missing    []string   `json:"missing,omitempty"`
	}
	type decisionOut struct {
		Task      string            `json:"task"`
		AsOf      Date              `json:"as_of"`
		Status    Status            `json:"status"`
		Reasons   []json.RawMessage `json:"reasons"`
		NextSteps []string          `json:"next_steps"`
		LapsesOn  Date              `json:"lapses_on,omitzero"`
	}
	original := func(d Decision) []byte {
		reasons := []json.RawMessage{}
		for _, r := range d.Reasons {
			b, _ := json.Marshal(reasonOut{r.Code, r.Effect, r.Competency(), r.Credential(), r.Variant(), r.Date, r.Message(), r.Step(), r.Missing()})
			reasons = append(reasons, b)
		}
		steps := d.NextSteps()
		if steps == nil {
			steps = []string{}
		}
		b, _ := json.Marshal(decisionOut{d.Task, d.AsOf, d.Status, reasons, steps, d.LapsesOn})
		return b
	}
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	rules := mustCompile(t, v)
	people := syntheticOrganisation(&v.Program, 100)
	for i := range people {
		ds := rules.Evaluate(&people[i], d("2026-11-15"))
		plain, err := json.Marshal(DecisionsJSON(ds))
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		want = append(want, '[')
		for j, dec := range ds {
			if j > 0 {
				want = append(want, ',')
			}
			want = append(want, original(dec)...)
			viaMethod, err := json.Marshal(dec)
			if err != nil || !bytes.Equal(viaMethod, original(dec)) {
				t.Fatalf("person %d, %s through MarshalJSON:\n%s\nwant\n%s", i, dec.Task, viaMethod, original(dec))
			}
		}
		want = append(want, ']')
		if !bytes.Equal(plain, want) {
			t.Fatalf("person %d:\n%s\nwant\n%s", i, plain, want)
		}
	}
}
