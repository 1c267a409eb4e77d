package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
)

// Point-in-time answers (issue 17, items 1–5): each test asks through the
// API and the clearance page (or the form that refuses), on both engines.

// orgToday is the organisation's calendar day on the test clock.
func orgToday(e *env) curriculum.Date { return curriculum.DateOf(e.clock.Now(), e.cfg.Location()) }

// nextDay moves the clock a day on and logs the people in again (a
// session lasts at most 12 hours).
func nextDay(e *env, days int, emails ...string) []*client {
	e.clock.Advance(time.Duration(days) * 24 * time.Hour)
	out := make([]*client, len(emails))
	for i, email := range emails {
		out[i] = e.client()
		out[i].login(email, demo.Password)
	}
	return out
}

// rowOf is the clearance page's table row of a task, by its title.
func rowOf(body, title string) string {
	return regexpFind(`(?s)(<tr>\s*<td><strong>`+title+`</strong>.*?</tr>)`, body)
}

// tableRow is the first table row of body holding every one of texts.
func tableRow(body string, texts ...string) string {
	for _, row := range strings.Split(body, "<tr>")[1:] {
		row, _, _ = strings.Cut(row, "</tr>")
		found := true
		for _, t := range texts {
			found = found && strings.Contains(row, t)
		}
		if found {
			return row
		}
	}
	return ""
}

// setStatus changes an enrollment's status through the director's page.
func setStatus(t *testing.T, dir *client, enr, status string) {
	t.Helper()
	dir.get(enr)
	if r := dir.post(enr+"/status", url.Values{"status": {status}, "reason": {"test: " + status}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %s: %d %s", status, r.StatusCode, r.body)
	}
}

// Item 1: a withdrawal ends the enrollment from its day on; every earlier
// day keeps its answer, in the API, the page, the site matrix and the
// past-dated reports, and cached answers for earlier days stay right.
func TestWithdrawalKeepsEarlierDays(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		day0 := orgToday(e)
		hr, dir := e.client(), e.client()
		hr.login("hr@demo.test", demo.Password)
		dir.login("director@demo.test", demo.Password)
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, dir.get("/people/"+jordan.ID+"/clearance").body)
		ask := func(c *client, day curriculum.Date) response {
			return c.get("/api/v1/clearances?person=" + jordan.ID + "&task=VENIPUNCTURE&as_of=" + day.String())
		}
		before := ask(hr, day0) // also fills the decision cache for day0
		if before.StatusCode != http.StatusOK || !strings.Contains(before.body, `"status":"direct_supervision"`) || !strings.Contains(before.body, "8 of 10") {
			t.Fatalf("before the withdrawal: %d %s", before.StatusCode, before.body)
		}
		reportsOn := func(c *client, day curriculum.Date) map[string]string {
			out := map[string]string{}
			for _, rep := range []string{"clearances", "progress", "certifications"} {
				r := c.get("/reports/" + rep + "?as_of=" + day.String())
				if r.StatusCode != http.StatusOK {
					t.Fatalf("%s report on %s: %d", rep, day, r.StatusCode)
				}
				out[rep] = r.body
			}
			return out
		}
		for rep, body := range reportsOn(hr, day0) {
			if !strings.Contains(body, "Jordan Lee") {
				t.Fatalf("the %s report lacks Jordan before the withdrawal", rep)
			}
		}

		clients := nextDay(e, 1, "hr@demo.test", "director@demo.test")
		hr, dir = clients[0], clients[1]
		day1 := day0.AddDays(1)
		setStatus(t, dir, enr, "withdrawn")

		// The day before the withdrawal: the same answer as before.
		if r := ask(hr, day0); r.StatusCode != http.StatusOK || r.body != before.body {
			t.Fatalf("the day before the withdrawal, asked after it: %d %s\nwant %s", r.StatusCode, r.body, before.body)
		}
		page := hr.get("/people/" + jordan.ID + "/clearance?as_of=" + day0.String())
		if row := rowOf(page.body, "Venipuncture"); !strings.Contains(row, "Direct supervision only") || !strings.Contains(row, "8 of 10") {
			t.Fatalf("the page for the day before the withdrawal: %d\n%s", page.StatusCode, row)
		}
		if m := hr.get("/api/v1/clearances?site=" + jordan.SiteIDs[0] + "&as_of=" + day0.String()); !strings.Contains(m.body, "Jordan Lee") {
			t.Fatalf("the site matrix for the day before lacks Jordan: %s", m.body)
		}
		for rep, body := range reportsOn(hr, day0) {
			if !strings.Contains(body, "Jordan Lee") {
				t.Errorf("the %s report for the day before the withdrawal lacks Jordan", rep)
			}
		}
		// The day of the withdrawal and after: not enrolled.
		for _, day := range []curriculum.Date{day1, day1.AddDays(1)} {
			if r := ask(hr, day); r.StatusCode != http.StatusNotFound || !strings.Contains(r.body, "not enrolled") {
				t.Errorf("on %s: %d %s", day, r.StatusCode, r.body)
			}
			p := hr.get("/people/" + jordan.ID + "/clearance?as_of=" + day.String())
			if !strings.Contains(p.body, "is not enrolled in a program on "+day.String()) || rowOf(p.body, "Venipuncture") != "" {
				t.Errorf("the page on %s still shows a decision", day)
			}
		}
		for rep, body := range reportsOn(hr, day1) {
			if strings.Contains(body, "Jordan Lee") {
				t.Errorf("the %s report on the withdrawal day still lists Jordan", rep)
			}
		}
	})
}

// Item 2: on hold clears nothing, from the day of the hold up to the day
// it ends; before and after, the normal decision. A decision cached for a
// day before the hold was placed is not served after.
func TestOnHoldClearsNothing(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		jordan := people["apprentice@demo.test"]
		day0 := orgToday(e)
		day1, day2, day3 := day0.AddDays(1), day0.AddDays(2), day0.AddDays(3)
		hr, dir := e.client(), e.client()
		hr.login("hr@demo.test", demo.Password)
		dir.login("director@demo.test", demo.Password)
		enr := regexpFind(`href="(/enrollments/[^"]+)"`, dir.get("/people/"+jordan.ID+"/clearance").body)
		ask := func(c *client, day curriculum.Date) string {
			t.Helper()
			r := c.get("/api/v1/clearances?person=" + jordan.ID + "&task=REFILLS&as_of=" + day.String())
			if r.StatusCode != http.StatusOK {
				t.Fatalf("refills on %s: %d %s", day, r.StatusCode, r.body)
			}
			return r.body
		}
		for _, day := range []curriculum.Date{day0, day1, day2} { // cached before the hold
			if got := ask(hr, day); !strings.Contains(got, `"status":"cleared"`) {
				t.Fatalf("refills on %s before any hold: %s", day, got)
			}
		}

		dir = nextDay(e, 1, "director@demo.test")[0]
		setStatus(t, dir, enr, "on_hold")
		clients := nextDay(e, 2, "hr@demo.test", "director@demo.test")
		hr, dir = clients[0], clients[1]
		setStatus(t, dir, enr, "active")

		onHold := "The enrollment is on hold since " + day1.String()
		for _, tc := range []struct {
			day  curriculum.Date
			held bool
		}{{day0, false}, {day1, true}, {day2, true}, {day3, false}} {
			got := ask(hr, tc.day)
			if tc.held != strings.Contains(got, `"code":"enrollment_on_hold"`) || tc.held != strings.Contains(got, onHold) ||
				tc.held == strings.Contains(got, `"status":"cleared"`) {
				t.Errorf("refills on %s (on hold: %v): %s", tc.day, tc.held, got)
			}
			page := hr.get("/people/" + jordan.ID + "/clearance?as_of=" + tc.day.String())
			row := rowOf(page.body, "Pending prescription refills")
			if tc.held != strings.Contains(row, onHold) || tc.held != strings.Contains(row, "Not cleared") || tc.held == strings.Contains(row, "Cleared (independent)") {
				t.Errorf("the page's refills row on %s (on hold: %v):\n%s", tc.day, tc.held, row)
			}
			if tc.held && strings.Contains(page.body, "Cleared (independent)</") {
				t.Errorf("on %s, on hold, the page shows a task cleared", tc.day)
			}
		}
	})
}

// Item 3: a credential counts as verified from the day HR verified it,
// not from the day it was recorded.
func TestCredentialVerifiedFromItsDay(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		riley := people["apprentice3@demo.test"]
		day0 := orgToday(e)
		rec, err := credentialsStore(e).Add(t.Context(), newRecord(riley.ID, "BLS", day0.AddDays(-1).String(), day0.AddMonths(24).EndOfMonth().String()))
		if err != nil {
			t.Fatal(err)
		}
		hr := nextDay(e, 2, "hr@demo.test")[0]
		if _, err := credentialsStore(e).Verify(t.Context(), rec.ID, people["hr@demo.test"].ID, "checked the eCard"); err != nil {
			t.Fatal(err)
		}
		verifiedAt := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02 15:04 MST")
		const unverified = "BLS is on file but not verified yet"
		for _, tc := range []struct {
			day        curriculum.Date
			unverified bool
		}{{day0, true}, {day0.AddDays(1), true}, {day0.AddDays(2), false}, {day0.AddDays(3), false}} {
			r := hr.get("/api/v1/clearances?person=" + riley.ID + "&task=EMERGENCY&as_of=" + tc.day.String())
			if r.StatusCode != http.StatusOK || tc.unverified != strings.Contains(r.body, unverified) || tc.unverified != strings.Contains(r.body, "credential_unverified") {
				t.Errorf("emergency response on %s (unverified: %v): %d %s", tc.day, tc.unverified, r.StatusCode, r.body)
			}
			row := rowOf(hr.get("/people/"+riley.ID+"/clearance?as_of="+tc.day.String()).body, "Emergency response within competency")
			if row == "" || tc.unverified != strings.Contains(row, unverified) {
				t.Errorf("the page's emergency row on %s (unverified: %v):\n%s", tc.day, tc.unverified, row)
			}
			// The certifications report says the same, and names the
			// verifier only from the day of the verification.
			rep := tableRow(hr.get("/reports/certifications?as_of="+tc.day.String()).body, "Riley Nguyen", "Basic Life Support")
			if rep == "" || tc.unverified != strings.Contains(rep, "not verified yet") || tc.unverified == strings.Contains(rep, verifiedAt) {
				t.Errorf("the certifications report's BLS row for Riley on %s (unverified: %v):\n%s", tc.day, tc.unverified, rep)
			}
		}
	})
}

// asPreceptor logs the preceptor in and gives the apprentice's enrollment
// page, its API path and an API token of the preceptor's.
func asPreceptor(t *testing.T, e *env, preceptor, apprentice *accounts.Person) (pc *client, enr, base, tok string) {
	t.Helper()
	pc = e.client()
	pc.login(preceptor.Email, demo.Password)
	enr = regexpFind(`href="(/enrollments/[^"]+)"`, pc.get("/people/"+apprentice.ID+"/clearance").body)
	_, tok, err := e.store.CreateToken(t.Context(), preceptor.ID, "tablet", 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return pc, enr, "/api/v1" + enr, tok
}

// veniSteps is the JSON of every venipuncture checklist step met.
func veniSteps() string {
	ma, _ := curriculum.MedicalAssistantProgram()
	parts := make([]string, len(ma.Program.Competency("PHL-VENI").Checklist))
	for i := range parts {
		parts[i] = `{"index":` + itoa(i) + `,"met":true}`
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Item 4: a re-verification on the day of the initial sign-off is refused
// with a reason, through the API and the sign-off page, and nothing is
// stored; the next day it is accepted.
func TestReverificationOnTheInitialDayIsRefused(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, jordan := people["preceptor@demo.test"], people["apprentice@demo.test"]
		pc, enr, base, tok := asPreceptor(t, e, priya, jordan)
		observe := func(key string) {
			t.Helper()
			body := `{"idempotency_key":"` + key + `","competency":"PHL-VENI","performed_on":"` + orgToday(e).String() + `","steps":` + veniSteps() + `}`
			if r := apiCall(e, "POST", base+"/observations", tok, body); r.StatusCode != http.StatusCreated {
				t.Fatalf("observation: %d %s", r.StatusCode, r.body)
			}
		}
		sign := func(key, kind string) response {
			return apiCall(e, "POST", base+"/signoffs", tok, `{"idempotency_key":"`+key+`","competency":"PHL-VENI","kind":"`+kind+`","password":"`+demo.Password+`"}`)
		}
		signOffs := func() int {
			var ev struct {
				SignOffs []struct{ Competency string } `json:"sign_offs"`
			}
			decode(t, apiCall(e, "GET", base+"/evidence", tok, ""), &ev)
			n := 0
			for _, so := range ev.SignOffs {
				if so.Competency == "PHL-VENI" {
					n++
				}
			}
			return n
		}
		observe("pit-obs-0001")
		observe("pit-obs-0002")
		if r := sign("pit-sign-0001", "initial"); r.StatusCode != http.StatusCreated {
			t.Fatalf("initial sign-off: %d %s", r.StatusCode, r.body)
		}
		observe("pit-obs-0003")
		today := orgToday(e).String()
		r := sign("pit-sign-0002", "reverification")
		if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "signed off today ("+today+")") || !strings.Contains(r.body, "does not count") {
			t.Fatalf("same-day re-verification through the API: %d %s", r.StatusCode, r.body)
		}
		// The page no longer offers a re-verification on the day of the
		// initial sign-off; a post from a tab opened earlier is still refused
		// with the reason.
		if form := pc.get(enr + "/signoff/PHL-VENI"); formValue(form.body, "key") != "" {
			t.Fatalf("the sign-off page offers a re-verification on the day of the initial sign-off")
		}
		page := pc.post(enr+"/signoff/PHL-VENI", url.Values{"key": {"pit-page-stale-tab-0001"}, "kind": {"reverification"}, "password": {demo.Password}})
		if page.StatusCode != http.StatusConflict || !strings.Contains(page.body, "signed off today ("+today+")") {
			t.Fatalf("same-day re-verification through the page: %d\n%s", page.StatusCode, regexpFind(`(?s)(<p class="flash flash-error".*?</p>)`, page.body))
		}
		if n := signOffs(); n != 1 {
			t.Fatalf("%d venipuncture sign-offs on file after the refusals; want the initial one only", n)
		}

		e.clock.Advance(24 * time.Hour)
		observe("pit-obs-0004")
		if r := sign("pit-sign-0003", "reverification"); r.StatusCode != http.StatusCreated {
			t.Fatalf("re-verification the next day: %d %s", r.StatusCode, r.body)
		}
		if n := signOffs(); n != 2 {
			t.Fatalf("%d venipuncture sign-offs on file; want the initial and the re-verification", n)
		}
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		if r := hr.get("/api/v1/clearances?person=" + jordan.ID + "&task=VENIPUNCTURE"); !strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("venipuncture after the re-verification: %s", r.body)
		}
		if row := rowOf(hr.get("/people/"+jordan.ID+"/clearance").body, "Venipuncture"); !strings.Contains(row, "Cleared (independent)") {
			t.Fatalf("the page's venipuncture row:\n%s", row)
		}
	})
}

// Item 5: a date in a message is the organisation's day: something done
// at 23:30 in New York is "on" that day, although it is the next in UTC.
func TestMessagesDateInOrganisationZone(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, jordan := people["preceptor@demo.test"], people["apprentice@demo.test"]
		loc := e.cfg.Location()
		now := e.clock.Now().In(loc)
		late := time.Date(now.Year(), now.Month(), now.Day(), 23, 30, 0, 0, loc)
		if late.Before(now) {
			late = late.AddDate(0, 0, 1)
		}
		e.clock.Advance(late.Sub(now))
		day := orgToday(e).String()
		if utc := curriculum.DateOf(e.clock.Now(), time.UTC).String(); utc == day {
			t.Fatalf("the organisation's zone %s is UTC's day at 23:30; the test proves nothing", loc)
		}
		pc, enr, base, tok := asPreceptor(t, e, priya, jordan)
		obs := func(key, extra string) response {
			return apiCall(e, "POST", base+"/observations", tok, `{"idempotency_key":"`+key+`","competency":"PHL-VENI","performed_on":"`+day+`","steps":`+veniSteps()+extra+`}`)
		}
		r := obs("pit-obs-0001", "")
		var o struct{ ID string }
		decode(t, r, &o)
		if r.StatusCode != http.StatusCreated || o.ID == "" {
			t.Fatalf("observation: %d %s", r.StatusCode, r.body)
		}
		if r := obs("pit-obs-0002", `,"supersedes":"`+o.ID+`","correction_reason":"wrong arm recorded"`); r.StatusCode != http.StatusCreated {
			t.Fatalf("correction: %d %s", r.StatusCode, r.body)
		}
		want := "already corrected on " + day
		if r := obs("pit-obs-0003", `,"supersedes":"`+o.ID+`","correction_reason":"again"`); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, want) {
			t.Fatalf("second correction through the API: %d %s, want %q", r.StatusCode, r.body, want)
		}
		f := url.Values{"key": {"pit-page-0001"}, "performed_on": {day}, "supersedes": {o.ID}, "correction_reason": {"again"}}
		for i := range strings.Count(veniSteps(), "index") {
			f.Set("step_"+itoa(i), "met")
		}
		pc.get(enr + "/observe/PHL-VENI")
		// The page answers the same status as the API: one table for both.
		if p := pc.post(enr+"/observe/PHL-VENI", f); p.StatusCode != http.StatusConflict || !strings.Contains(p.body, want) {
			t.Fatalf("second correction through the page: %d, want %q in\n%s", p.StatusCode, want, regexpFind(`(?s)(<p class="flash flash-error".*?</p>)`, p.body))
		}

		// A credential verified at 23:30: the credentials page shows the
		// organisation's day and time, not UTC's.
		rec, err := credentialsStore(e).Add(t.Context(), newRecord(jordan.ID, "CMA", day, curriculum.MustParseDate(day).AddMonths(60).String()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := credentialsStore(e).Verify(t.Context(), rec.ID, people["hr@demo.test"].ID, "checked the AAMA register"); err != nil {
			t.Fatal(err)
		}
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		shown := e.clock.Now().In(loc).Format("Jan 2, 2006 15:04 MST")
		if p := hr.get("/people/" + jordan.ID + "/credentials"); !strings.Contains(p.body, shown+": checked the AAMA register") {
			t.Fatalf("the credentials page does not show the verification at %s:\n%s", shown, regexpFind(`(?s)(<span class="muted">[^<]*checked the AAMA register)`, p.body))
		}

		// Hours approved at 23:30, approved again a minute later.
		_, apTok, _ := e.store.CreateToken(t.Context(), jordan.ID, "phone", 24*time.Hour)
		if r := apiCall(e, "POST", base+"/hours", apTok, `{"idempotency_key":"pit-hours-0001","kind":"ojl","code":"PT-CARE","worked_on":"`+day+`","hours":"6"}`); r.StatusCode != http.StatusCreated {
			t.Fatalf("log hours: %d %s", r.StatusCode, r.body)
		}
		var pend struct {
			Hours []struct{ ID string }
		}
		decode(t, apiCall(e, "GET", "/api/v1/reviews", tok, ""), &pend)
		if len(pend.Hours) != 1 {
			t.Fatalf("pending: %+v", pend)
		}
		if r := apiCall(e, "POST", "/api/v1/reviews/hours/"+pend.Hours[0].ID, tok, `{"decision":"approve"}`); r.StatusCode != http.StatusOK {
			t.Fatalf("approve: %d %s", r.StatusCode, r.body)
		}
		// The API offers only what is waiting; a second review that lost a
		// race reaches the rule, whose message must name the same day.
		e.clock.Advance(time.Minute)
		svc := evidence.NewService(e.db, programs.NewStore(e.db))
		svc.Now = e.clock.Now
		err = svc.ReviewHours(t.Context(), pend.Hours[0].ID, evidence.ActorOf(priya), true, "")
		if err == nil || !strings.Contains(err.Error(), "already approved on "+day) {
			t.Fatalf("approving again: %v, want the day %s", err, day)
		}
	})
}
