package server_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/demo"
)

// A tiny valid PNG (1×1).
var onePixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func postMultipart(c *client, path string, fields map[string]string, file []byte, name string) response {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", c.csrf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if file != nil {
		fw, _ := w.CreateFormFile("file", name)
		fw.Write(file)
	}
	w.Close()
	return c.do("POST", path, &buf, map[string]string{"Content-Type": w.FormDataContentType()})
}

func TestHRDashboardRenewalAndVerification(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		riley := people["apprentice3@demo.test"]
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		dash := hr.get("/hr")
		for _, want := range []string{"Riley Nguyen", "Expired", "Jordan Lee", "Expiring in", "Sam Carter", "Missing, within grace until", "<svg"} {
			if !strings.Contains(dash.body, want) {
				t.Fatalf("dashboard lacks %q", want)
			}
		}
		if r := hr.get("/hr?status=expired"); strings.Contains(r.body, "Sam Carter") || !strings.Contains(r.body, "Riley Nguyen") {
			t.Fatal("the expired filter shows the wrong people")
		}
		if r := hr.get("/api/v1/clearances?person=" + riley.ID + "&task=EMERGENCY"); strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("Riley with an expired BLS: %s", r.body)
		}
		page := hr.get("/people/" + riley.ID + "/credentials")
		if !strings.Contains(page.body, "Expired") {
			t.Fatal("the person's page does not say the BLS expired")
		}
		today := e.clock.Now().In(e.cfg.Location()).Format("2006-01-02")
		// A web page disguised as a PDF is refused, and nothing is stored.
		r := postMultipart(hr, "/people/"+riley.ID+"/credentials", map[string]string{"type": "BLS", "issued_on": today}, []byte("<html><script>x</script></html>"), "card.pdf")
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Nothing was saved") {
			t.Fatalf("HTML as PDF: %d", r.StatusCode)
		}
		r = postMultipart(hr, "/people/"+riley.ID+"/credentials", map[string]string{"type": "BLS", "issued_on": today, "number": "AHA-777", "issuing_body": "American Heart Association"}, onePixelPNG, "card.pdf")
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("renewal upload: %d %s", r.StatusCode, regexpFind(`(?s)(<p class="flash flash-error".*?</p>)`, r.body))
		}
		page = hr.get("/people/" + riley.ID + "/credentials")
		if !strings.Contains(page.body, "AHA-777") || !strings.Contains(page.body, "On file, not verified yet") {
			t.Fatal("the renewal is not listed as unverified")
		}
		// Unverified cards do not count yet.
		if r := hr.get("/api/v1/clearances?person=" + riley.ID + "&task=EMERGENCY"); strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("cleared on an unverified card: %s", r.body)
		}
		verify := regexpFind(`action="(/people/[^"]+/credentials/[^"]+/verify)"`, page.body)
		if r := hr.post(verify, nil); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("verification without a method: %d", r.StatusCode)
		}
		hr.post(verify, map[string][]string{"method": {"checked the AHA eCard site"}})
		if r := hr.get("/api/v1/clearances?person=" + riley.ID + "&task=EMERGENCY"); !strings.Contains(r.body, `"status":"cleared"`) {
			t.Fatalf("after the verified renewal: %s", r.body)
		}
		file := regexpFind(`href="(/people/[^"]+/credentials/[^"]+/file)"`, hr.get("/people/"+riley.ID+"/credentials").body)
		f := hr.get(file)
		if f.StatusCode != 200 || f.Header.Get("Content-Type") != "image/png" || !strings.Contains(f.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %d %q %q", f.StatusCode, f.Header.Get("Content-Type"), f.Header.Get("Content-Disposition"))
		}
		// Another site's preceptor and other apprentices cannot fetch it.
		pc := e.client()
		pc.login("preceptor@demo.test", demo.Password)
		if r := pc.get(file); r.StatusCode != http.StatusNotFound {
			t.Fatalf("preceptor of another site downloading: %d", r.StatusCode)
		}
		ap := e.client()
		ap.login("apprentice@demo.test", demo.Password)
		if r := ap.get(file); r.StatusCode != http.StatusNotFound {
			t.Fatalf("another apprentice downloading: %d", r.StatusCode)
		}
		if r := ap.get("/hr"); r.StatusCode != http.StatusForbidden {
			t.Fatalf("apprentice on the HR dashboard: %d", r.StatusCode)
		}
	})
}

func TestCredentialsAPI(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		sam := people["apprentice2@demo.test"]
		hr := people["hr@demo.test"]
		_, tok, err := e.store.CreateToken(t.Context(), hr.ID, "hris", 24*3600e9)
		if err != nil {
			t.Fatal(err)
		}
		r := apiCall(e, "GET", "/api/v1/people/"+sam.ID+"/credentials", tok, "")
		if r.StatusCode != 200 || !strings.Contains(r.body, `"status":"missing_in_grace"`) {
			t.Fatalf("Sam's credentials: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "POST", "/api/v1/people/"+sam.ID+"/credentials", tok, `{"type":"BLS","issued_on":"2026-02-30"}`); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("impossible date: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "POST", "/api/v1/people/"+sam.ID+"/credentials", tok, `{"type":"BLS","issued_on":"2026-01-02","expires_on":"2025-12-31"}`); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "expires_on") {
			t.Fatalf("expiry before issue: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "POST", "/api/v1/people/"+sam.ID+"/credentials", tok, `{"type":"BLS","issued_on":"2026-01-02","number":"N-1"}`); r.StatusCode != http.StatusCreated {
			t.Fatalf("add: %d %s", r.StatusCode, r.body)
		}
		r = apiCall(e, "GET", "/api/v1/people/"+sam.ID+"/credentials", tok, "")
		// Listed, but not counting until HR verifies it (Sam is still in the
		// 90-day grace, so the requirement stays "missing, in grace").
		if !strings.Contains(r.body, `"verified":false`) || !strings.Contains(r.body, `"N-1"`) || !strings.Contains(r.body, `"status":"missing_in_grace"`) {
			t.Fatalf("after adding: %s", r.body)
		}
		_, apTok, _ := e.store.CreateToken(t.Context(), sam.ID, "phone", 24*3600e9)
		if r := apiCall(e, "POST", "/api/v1/people/"+sam.ID+"/credentials", apTok, `{"type":"BLS","issued_on":"2026-01-02"}`); r.StatusCode != http.StatusForbidden {
			t.Fatalf("an apprentice adding their own record: %d", r.StatusCode)
		}
		if r := apiCall(e, "GET", "/api/v1/people/"+people["apprentice@demo.test"].ID+"/credentials", apTok, ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("an apprentice reading another's credentials: %d", r.StatusCode)
		}
	})
}

func TestHRDashboardIncludesPreceptorLicences(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		people := withDemo(t, e)
		priya, err := e.store.Create(t.Context(), accounts.NewPerson{Email: "lpn@demo.test", Name: "Lena Park", Credential: "LPN",
			Roles: []accounts.Role{accounts.RolePreceptor}, SiteIDs: people["preceptor@demo.test"].SiteIDs})
		if err != nil {
			t.Fatal(err)
		}
		hr := e.client()
		hr.login("hr@demo.test", demo.Password)
		d := hr.get("/hr?role=preceptor")
		if strings.Contains(d.body, "Priya Raman") {
			t.Fatal("a preceptor with a valid licence is listed as needing attention")
		}
		if !strings.Contains(d.body, "Lena Park") || !strings.Contains(d.body, "Missing") {
			t.Fatal("a preceptor without a licence on file is not listed as missing")
		}
		// Her licence lapses: an expired, verified RN record is the newest.
		rec, err := credentialsStore(e).Add(t.Context(), newRecord(priya.ID, "LPN", "2020-01-01", "2020-12-31"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := credentialsStore(e).Verify(t.Context(), rec.ID, people["hr@demo.test"].ID, "state board lookup"); err != nil {
			t.Fatal(err)
		}
		d = hr.get("/hr?role=preceptor")
		if !strings.Contains(d.body, "Lena Park") || !strings.Contains(d.body, "Preceptor (LPN licence)") || !strings.Contains(d.body, "Expired 2020-12-31") {
			t.Fatal("a preceptor with a lapsed licence is not listed")
		}
		if strings.Contains(d.body, "Riley Nguyen") {
			t.Fatal("the preceptor filter shows apprentices")
		}
	})
}
