package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTrainingHoursThroughTheClearanceAPI: the shipped program requires 10
// clock hours of phlebotomy training for venipuncture (16 CCR 1366.1). Sam
// has none; he logs them for yesterday, his preceptor approves them today,
// and the clearance API counts them from the day of approval, not the day
// worked.
func TestTrainingHoursThroughTheClearanceAPI(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, sam := people["preceptor@demo.test"], people["apprentice2@demo.test"]
		_, tok, _ := e.store.CreateToken(t.Context(), priya.ID, "tablet", 24*time.Hour)
		_, samTok, _ := e.store.CreateToken(t.Context(), sam.ID, "phone", 24*time.Hour)
		today := orgToday(e)
		yesterday := today.AddDays(-1)
		const short = "Venipuncture: 0 of 10 clock hours of training approved (Phlebotomy and specimen collection)"
		ask := func(asOf string) string {
			t.Helper()
			r := apiCall(e, "GET", "/api/v1/clearances?person="+sam.ID+"&task=VENIPUNCTURE&as_of="+asOf, tok, "")
			if r.StatusCode != http.StatusOK {
				t.Fatalf("clearance as of %s: %d %s", asOf, r.StatusCode, r.body)
			}
			return r.body
		}
		if got := ask(today.String()); !strings.Contains(got, `"code":"training_hours_short"`) || !strings.Contains(got, short) ||
			!strings.Contains(got, "Complete 10 more clock hours of training for Venipuncture (Phlebotomy and specimen collection) and have them approved") {
			t.Fatalf("before any training: %s", got)
		}

		var ens struct{ Enrollments []struct{ ID string } }
		decode(t, apiCall(e, "GET", "/api/v1/enrollments?person="+sam.ID, tok, ""), &ens)
		base := "/api/v1/enrollments/" + ens.Enrollments[0].ID
		if r := apiCall(e, "POST", base+"/hours", samTok, `{"idempotency_key":"rules-hours-0001","kind":"rti","code":"PHLEB","worked_on":"`+yesterday.String()+`","hours":"10","supervisor_id":"`+priya.ID+`"}`); r.StatusCode != http.StatusCreated {
			t.Fatalf("log training hours: %d %s", r.StatusCode, r.body)
		}
		if got := ask(today.String()); !strings.Contains(got, short) {
			t.Fatalf("pending hours counted: %s", got)
		}
		var pend struct{ Hours []struct{ ID, Code string } }
		decode(t, apiCall(e, "GET", "/api/v1/reviews", tok, ""), &pend)
		id := ""
		for _, h := range pend.Hours {
			if h.Code == "PHLEB" {
				id = h.ID
			}
		}
		if r := apiCall(e, "POST", "/api/v1/reviews/hours/"+id, tok, `{"decision":"approve"}`); r.StatusCode != http.StatusOK {
			t.Fatalf("approve: %d %s", r.StatusCode, r.body)
		}
		if got := ask(today.String()); strings.Contains(got, "training_hours_short") {
			t.Fatalf("approved today, still short today: %s", got)
		}
		if got := ask(today.AddDays(1).String()); strings.Contains(got, "training_hours_short") {
			t.Fatalf("approved today, short tomorrow: %s", got)
		}
		// Worked yesterday but approved today: yesterday it was a claim.
		if got := ask(yesterday.String()); !strings.Contains(got, short) {
			t.Fatalf("as of the day before the approval: %s", got)
		}
	})
}
