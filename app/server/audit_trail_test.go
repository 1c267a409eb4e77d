package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/curriculum"
)

// stepsJSON marks every checklist step of a competency met.
func stepsJSON(code string) string {
	ma, _ := curriculum.MedicalAssistantProgram()
	var b strings.Builder
	b.WriteString(`[`)
	for i := range ma.Program.Competency(code).Checklist {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"index":` + itoa(i) + `,"met":true}`)
	}
	return b.String() + `]`
}

// Evidence written through the API is audited with the person, the token
// they used and the request; replays and refused requests add nothing.
func TestEvidenceChangesAreAudited(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, jordan, dana := people["preceptor@demo.test"], people["apprentice@demo.test"], people["director@demo.test"]
		ptok, tokPriya := mustToken(t, e, priya.ID)
		_, tokJordan := mustToken(t, e, jordan.ID)
		_, tokDana := mustToken(t, e, dana.ID)
		var ens struct {
			Enrollments []struct {
				ID        string `json:"id"`
				VersionID string `json:"version_id"`
				SiteID    string `json:"site_id"`
			}
		}
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+jordan.ID, tokPriya, ""), &ens)
		enr := ens.Enrollments[0]
		base := "/api/v1/enrollments/" + enr.ID
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		total := func() int { return audittest.Total(t, e.db) }

		obs := func(key string) response {
			return apiCall(e, "POST", base+"/observations", tokPriya,
				`{"idempotency_key":"`+key+`","competency":"PHL-VENI","performed_on":"`+today+`","steps":`+stepsJSON("PHL-VENI")+`}`)
		}
		r := obs("audit-obs-0001")
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("observation: %d %s", r.StatusCode, r.body)
		}
		var o struct{ ID string }
		decode(t, r, &o)
		ent := audittest.Last(t, e.db, evidence.ActionObserve)
		if ent.EntityType != "observation" || ent.EntityID != o.ID || ent.Actor != priya.ID || ent.Via != "token:"+ptok ||
			ent.RequestID == "" || ent.IP == "" || !strings.Contains(ent.After, `"successful":true`) {
			t.Fatalf("observation entry %+v", ent)
		}
		n := total()
		if r := obs("audit-obs-0001"); r.StatusCode != http.StatusOK {
			t.Fatalf("replay: %d", r.StatusCode)
		}
		if r := apiCall(e, "POST", base+"/observations", tokPriya, `{"idempotency_key":"audit-obs-0002","competency":"PHL-VENI","performed_on":"`+today+`","steps":[]}`); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad observation: %d", r.StatusCode)
		}
		if got := total(); got != n {
			t.Fatalf("a replay and a refused observation added %d entries", got-n)
		}
		// A correction is its own action.
		r = apiCall(e, "POST", base+"/observations", tokPriya, `{"idempotency_key":"audit-obs-0003","competency":"PHL-VENI","performed_on":"`+today+
			`","steps":`+stepsJSON("PHL-VENI")+`,"supersedes":"`+o.ID+`","correction_reason":"wrong patient chart"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("correction: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionCorrect); !strings.Contains(ent.After, o.ID) || !strings.Contains(ent.After, "wrong patient chart") {
			t.Fatalf("correction entry %+v", ent)
		}
		if r := obs("audit-obs-0004"); r.StatusCode != http.StatusCreated {
			t.Fatalf("observation: %d", r.StatusCode)
		}

		// Signing: a wrong password is a failed login, not a sign-off.
		n = audittest.Count(t, e.db, evidence.ActionSignOff)
		r = apiCall(e, "POST", base+"/signoffs", tokPriya, `{"idempotency_key":"audit-sign-0001","competency":"PHL-VENI","password":"not my password at all"}`)
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}
		if ent := audittest.Last(t, e.db, "login.failed"); ent.Actor != priya.ID || strings.Contains(ent.After, "not my password") {
			t.Fatalf("failed re-authentication entry %+v", ent)
		}
		r = apiCall(e, "POST", base+"/signoffs", tokPriya, `{"idempotency_key":"audit-sign-0002","competency":"PHL-VENI","password":"`+demo.Password+`"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("sign-off: %d %s", r.StatusCode, r.body)
		}
		var so struct{ ID string }
		decode(t, r, &so)
		ent = audittest.Last(t, e.db, evidence.ActionSignOff)
		if audittest.Count(t, e.db, evidence.ActionSignOff) != n+1 || ent.EntityID != so.ID || ent.Actor != priya.ID ||
			!strings.Contains(ent.After, "I attest") || strings.Contains(ent.After, demo.Password) {
			t.Fatalf("sign-off entry %+v", ent)
		}
		r = apiCall(e, "POST", base+"/signoffs/"+so.ID+"/revocations", tokDana, `{"idempotency_key":"audit-rev-0001","reason":"observed on the wrong arm","effective_on":"`+today+`"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("revoke: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionRevoke); ent.EntityType != "signoff" || ent.EntityID != so.ID || ent.Actor != dana.ID || !strings.Contains(ent.After, "wrong arm") {
			t.Fatalf("revocation entry %+v", ent)
		}

		// Hours and self-logs, then their reviews.
		r = apiCall(e, "POST", base+"/hours", tokJordan, `{"idempotency_key":"audit-hours-0001","kind":"ojl","code":"PT-CARE","worked_on":"`+today+`","hours":"6"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("hours: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionHours); ent.Actor != jordan.ID || !strings.Contains(ent.After, "PT-CARE") {
			t.Fatalf("hours entry %+v", ent)
		}
		r = apiCall(e, "POST", base+"/selflogs", tokJordan, `{"idempotency_key":"audit-self-0001","competency":"PHL-VENI","performed_on":"`+today+`","supervisor_id":"`+priya.ID+`"}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("self-log: %d %s", r.StatusCode, r.body)
		}
		audittest.Last(t, e.db, evidence.ActionSelfLog)
		var pend struct {
			Hours    []struct{ ID string }
			SelfLogs []struct{ ID string } `json:"self_logs"`
		}
		decode(t, apiCall(e, "GET", "/api/v1/reviews", tokPriya, ""), &pend)
		if len(pend.Hours) != 1 || len(pend.SelfLogs) != 1 {
			t.Fatalf("pending: %+v", pend)
		}
		n = total()
		if r := apiCall(e, "POST", "/api/v1/reviews/hours/"+pend.Hours[0].ID, tokPriya, `{"decision":"reject"}`); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("a rejection without a reason: %d", r.StatusCode)
		}
		if total() != n {
			t.Fatal("a refused review was audited")
		}
		if r := apiCall(e, "POST", "/api/v1/reviews/hours/"+pend.Hours[0].ID, tokPriya, `{"decision":"approve"}`); r.StatusCode != 200 {
			t.Fatalf("approve: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionHoursApprove); ent.EntityID != pend.Hours[0].ID || !strings.Contains(ent.Before, "pending") || !strings.Contains(ent.After, "approved") {
			t.Fatalf("approval entry %+v", ent)
		}
		if r := apiCall(e, "POST", "/api/v1/reviews/selflogs/"+pend.SelfLogs[0].ID, tokPriya, `{"decision":"reject","reason":"not supervised"}`); r.StatusCode != 200 {
			t.Fatalf("reject self-log: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionSelfLogReject); ent.EntityID != pend.SelfLogs[0].ID || !strings.Contains(ent.After, "not supervised") {
			t.Fatalf("self-log rejection entry %+v", ent)
		}

		// Status change and a new enrollment by the director.
		if r := apiCall(e, "POST", base+"/status", tokDana, `{"status":"on_hold","reason":"family leave"}`); r.StatusCode != 200 {
			t.Fatalf("status: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionStatusChange); ent.EntityID != enr.ID || !strings.Contains(ent.Before, `"active"`) || !strings.Contains(ent.After, `"on_hold"`) {
			t.Fatalf("status entry %+v", ent)
		}
		newbie, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "newbie@demo.test", Name: "New Bie",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{enr.SiteID}})
		if err != nil {
			t.Fatal(err)
		}
		r = apiCall(e, "POST", "/api/v1/enrollments", tokDana, `{"idempotency_key":"audit-enroll-0001","person_id":"`+newbie.ID+`","version_id":"`+enr.VersionID+
			`","site_id":"`+enr.SiteID+`","hire_date":"`+today+`","preceptor_ids":["`+priya.ID+`"]}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("enroll: %d %s", r.StatusCode, r.body)
		}
		if ent := audittest.Last(t, e.db, evidence.ActionEnroll); ent.Actor != dana.ID || !strings.Contains(ent.After, newbie.ID) || !strings.Contains(ent.After, priya.ID) {
			t.Fatalf("enrollment entry %+v", ent)
		}
		// Token use is recorded once per token and hour.
		if n := audittest.Count(t, e.db, "token.used"); n != 3 {
			t.Fatalf("%d token.used entries for 3 tokens used many times; want 3", n)
		}
		audittest.Intact(t, e.db)
	})
}

func mustToken(t *testing.T, e *env, personID string) (id, secret string) {
	t.Helper()
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: personID})
	tok, secret, err := e.store.CreateToken(ctx, personID, "test", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID, secret
}
