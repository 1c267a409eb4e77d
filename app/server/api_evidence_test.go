package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/curriculum"
)

func TestEvidenceAPI(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, jordan := people["preceptor@demo.test"], people["apprentice@demo.test"]
		_, tok, err := e.store.CreateToken(t.Context(), priya.ID, "tablet", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var ens struct {
			Enrollments []struct{ ID string }
		}
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+jordan.ID, tok, ""), &ens)
		if len(ens.Enrollments) != 1 {
			t.Fatalf("enrollments: %+v", ens)
		}
		base := "/api/v1/enrollments/" + ens.Enrollments[0].ID
		var ev struct {
			Observations []map[string]any
			Progress     struct{ Percent int }
		}
		decode(t, apiCall(e, "GET", base+"/evidence", tok, ""), &ev)
		if len(ev.Observations) == 0 {
			t.Fatal("no observations in the evidence")
		}
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		ma, _ := curriculum.MedicalAssistantProgram()
		var b strings.Builder
		b.WriteString(`[`)
		for i := range ma.Program.Competency("PHL-VENI").Checklist {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"index":` + itoa(i) + `,"met":true}`)
		}
		b.WriteString(`]`)
		body := `{"idempotency_key":"api-obs-0001","competency":"PHL-VENI","performed_on":"` + today + `","steps":` + b.String() + `}`
		r := apiCall(e, "POST", base+"/observations", tok, body)
		if r.StatusCode != http.StatusCreated || !strings.Contains(r.body, `"successful":true`) {
			t.Fatalf("observation: %d %s", r.StatusCode, r.body)
		}
		if again := apiCall(e, "POST", base+"/observations", tok, body); again.StatusCode != http.StatusOK {
			t.Fatalf("replay: %d %s", again.StatusCode, again.body)
		}
		// A rule broken (no step answered): a clear 422 with the field named.
		r = apiCall(e, "POST", base+"/observations", tok, `{"idempotency_key":"api-obs-0002","competency":"PHL-VENI","performed_on":"`+today+`","steps":[]}`)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"message"`) || !strings.Contains(r.body, `"steps"`) {
			t.Fatalf("missing steps: %d %s", r.StatusCode, r.body)
		}
		// Signing needs the password in the request.
		r = apiCall(e, "POST", base+"/signoffs", tok, `{"idempotency_key":"api-sign-0001","competency":"PHL-VENI","password":"wrong wrong wrong"}`)
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("sign-off with a wrong password: %d %s", r.StatusCode, r.body)
		}
		r = apiCall(e, "POST", base+"/signoffs", tok, `{"idempotency_key":"api-sign-0002","competency":"PHL-VENI","password":"`+demo.Password+`"}`)
		if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "9 of 10") {
			t.Fatalf("sign-off with the count short: %d %s", r.StatusCode, r.body)
		}
		// The apprentice logs hours; the preceptor approves them.
		_, apTok, _ := e.store.CreateToken(t.Context(), jordan.ID, "phone", 24*time.Hour)
		r = apiCall(e, "POST", base+"/hours", apTok, `{"idempotency_key":"api-hours-0001","kind":"ojl","code":"PT-CARE","worked_on":"`+today+`","hours":"6"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("log hours: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "POST", base+"/hours", tok, `{"idempotency_key":"api-hours-0002","kind":"ojl","code":"PT-CARE","worked_on":"`+today+`","hours":"6"}`); r.StatusCode != http.StatusForbidden {
			t.Fatalf("a preceptor logging an apprentice's hours: %d", r.StatusCode)
		}
		var pend struct {
			Hours []struct{ ID string }
		}
		decode(t, apiCall(e, "GET", "/api/v1/reviews", tok, ""), &pend)
		if len(pend.Hours) != 1 {
			t.Fatalf("pending: %+v", pend)
		}
		if r := apiCall(e, "POST", "/api/v1/reviews/hours/"+pend.Hours[0].ID, tok, `{"decision":"approve"}`); r.StatusCode != 200 {
			t.Fatalf("approve: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "POST", base+"/signoffs/x/revocations", tok, `{"idempotency_key":"api-rev-0001","reason":"x"}`); r.StatusCode != http.StatusForbidden {
			t.Fatalf("a preceptor revoking: %d", r.StatusCode)
		}
	})
}
