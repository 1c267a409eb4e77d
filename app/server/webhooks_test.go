package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/app/webhooks/webhookstest"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// hookReceiver is a receiver on loopback that checks every signature and
// keeps the events' types and data, in arrival order.
type hookReceiver struct {
	mu     sync.Mutex
	secret string
	types  []string
	data   []map[string]any
	bad    int
	// dedupe makes it a receiver that de-duplicates by webhook-id: a
	// message seen before is answered 200 and not kept again. calls
	// counts every request.
	dedupe bool
	ids    []string
	calls  int
}

// received returns, under the lock, what f reads of the receiver.
func (h *hookReceiver) received(f func(h *hookReceiver) bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return f(h)
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	if !webhooks.Verify(h.secret, r.Header.Get("webhook-signature"), id, ts, body) {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if h.dedupe && slices.Contains(h.ids, id) {
		w.WriteHeader(http.StatusOK)
		return
	}
	h.ids = append(h.ids, id)
	var p struct {
		Type string
		Data map[string]any
	}
	_ = json.Unmarshal(body, &p)
	h.types, h.data = append(h.types, p.Type), append(h.data, p.Data)
	w.WriteHeader(http.StatusOK)
}

// TestWebhooksAPIAndEvents: an administrator registers an endpoint through
// the API (the secret once; refused on a metadata address; others may not);
// a credential verification, a sign-off, its revocation and a deactivation
// each reach the receiver, signed and in order, after commit; the
// deliveries are listed; PATCH rotates the secret; DELETE removes it.
func TestWebhooksAPIAndEvents(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e := newEnvWith(t, d, map[string]string{"SKILLGATE_TRUSTED_PROXIES": "0.0.0.0", "SKILLGATE_SECOND_FACTOR_ROLES": "none",
			"SKILLGATE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"})
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		rc := &hookReceiver{}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		admin := e.person("admin@hooks.test", accounts.RoleAdmin)
		_, adminTok, _ := e.store.CreateToken(ctx, admin.ID, "hooks", 24*time.Hour)
		director := e.person("director@hooks.test", accounts.RoleDirector)
		_, dirTok, _ := e.store.CreateToken(ctx, director.ID, "hooks", 24*time.Hour)
		// The apprentice's BLS card, on file before the endpoint exists.
		ap := e.person("apprentice@hooks.test", accounts.RoleApprentice)
		today := curriculum.DateOf(e.clock.Now(), e.cfg.Location())
		creds := e.svc.Evidence.Credentials
		bls, err := creds.Add(ctx, credentials.NewRecord{PersonID: ap.ID, TypeCode: "BLS", IssuedOn: today.AddDays(-30), ExpiresOn: today.AddDays(600)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := creds.Verify(ctx, bls.ID, director.ID, "checked the eCard"); err != nil {
			t.Fatal(err)
		}

		if r := apiCall(e, "POST", "/api/v1/webhooks", dirTok, `{"url":"`+srv.URL+`","events":["signoff.recorded"]}`); r.StatusCode != http.StatusForbidden {
			t.Fatalf("a director registering a webhook: %d", r.StatusCode)
		}
		if r := apiCall(e, "POST", "/api/v1/webhooks", adminTok, `{"url":"http://169.254.169.254/latest","events":["signoff.recorded"]}`); r.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(r.body, "private network") {
			t.Fatalf("a metadata address: %d %s", r.StatusCode, r.body)
		}
		r := apiCall(e, "POST", "/api/v1/webhooks", adminTok, `{"url":"`+srv.URL+`/hook","description":"EHR","events":["signoff.recorded","signoff.revoked","credential.verified","person.deactivated","clearance.changed"],"site_ids":["`+e.siteID+`"]}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", r.StatusCode, r.body)
		}
		var ep struct {
			ID, Secret string
			Enabled    bool
		}
		decode(t, r, &ep)
		if !strings.HasPrefix(ep.Secret, "whsec_") || !ep.Enabled {
			t.Fatalf("created: %s", r.body)
		}
		rc.secret = ep.Secret
		for _, path := range []string{"/api/v1/webhooks", "/api/v1/webhooks/" + ep.ID} {
			if r := apiCall(e, "GET", path, adminTok, ""); r.StatusCode != http.StatusOK || strings.Contains(r.body, ep.Secret) || !strings.Contains(r.body, ep.ID) {
				t.Fatalf("GET %s: %d %s", path, r.StatusCode, r.body)
			}
		}
		if strings.Contains(e.logText(), ep.Secret) {
			t.Fatal("the secret was logged")
		}

		// The changes, each committing its event with it.
		rn, err := e.store.Create(ctx, accounts.NewPerson{Email: "rn@hooks.test", Name: "Rita Nurse", Credential: "RN",
			Roles: []accounts.Role{accounts.RolePreceptor}, SiteIDs: []string{e.siteID}, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		v, err := curriculum.ParseProgram([]byte(webhookstest.Program))
		if err != nil {
			t.Fatal(err)
		}
		sv, err := e.svc.Programs.Create(ctx, v, director.ID)
		if err != nil {
			t.Fatal(err)
		}
		lic, err := creds.Add(ctx, credentials.NewRecord{PersonID: rn.ID, TypeCode: "RN", IssuedOn: today.AddDays(-400), ExpiresOn: today.AddDays(700), Number: "RN-1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := creds.Verify(ctx, lic.ID, admin.ID, "checked the board's lookup"); err != nil {
			t.Fatal(err)
		}
		svc := e.svc.Evidence
		en, _, err := svc.Enroll(ctx, assessments.Enrollment{ApprenticeID: ap.ID, VersionID: sv.ID, SiteID: e.siteID, HireDate: today.AddDays(-30),
			StartDate: today.AddDays(-30), PreceptorIDs: []string{rn.ID}, IdempotencyKey: "hooks-enroll"}, director.ID)
		if err != nil {
			t.Fatal(err)
		}
		by := evidence.ActorOf(rn)
		if _, _, err := svc.Observe(ctx, records(t, svc, en.ID).Enrollment, by, assessments.ObservationRequest{IdempotencyKey: "hooks-obs", Competency: "VITALS",
			ChecklistVersion: 1, PerformedOn: today, Steps: []assessments.StepResult{{Index: 0, Met: true}}}); err != nil {
			t.Fatal(err)
		}
		so, _, err := svc.SignOff(ctx, records(t, svc, en.ID), by, assessments.SignOffRequest{IdempotencyKey: "hooks-sign", Competency: "VITALS",
			Kind: curriculum.InitialSignOff, ApprenticeName: ap.Name})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Revoke(ctx, records(t, svc, en.ID), so.ID, evidence.ActorOf(director), assessments.RevocationRequest{IdempotencyKey: "hooks-revoke",
			Reason: "observed on the wrong patient"}); err != nil {
			t.Fatal(err)
		}
		if err := e.store.SetDisabled(ctx, ap.ID, true); err != nil {
			t.Fatal(err)
		}
		// Nothing goes out inside the writing transactions: only now.
		if len(rc.types) != 0 {
			t.Fatalf("delivered before the dispatcher ran: %v", rc.types)
		}
		if n, err := e.svc.Dispatcher.Drain(ctx); n != 7 || err != nil {
			t.Fatalf("drain: %d %v (received %v)", n, err, rc.types)
		}
		// The observation raises her level, the sign-off clears her for the
		// task, the revocation takes it back: each with its
		// clearance.changed, written in the same transaction.
		want := []string{webhooks.CredentialVerified, webhooks.ClearanceChanged, webhooks.SignOffRecorded, webhooks.ClearanceChanged, webhooks.SignOffRevoked,
			webhooks.ClearanceChanged, webhooks.PersonDeactivated}
		if strings.Join(rc.types, " ") != strings.Join(want, " ") || rc.bad != 0 {
			t.Fatalf("received %v (%d badly signed), want %v", rc.types, rc.bad, want)
		}
		if rc.data[2]["signoff_id"] != so.ID || rc.data[2]["person_id"] != ap.ID || rc.data[2]["site_id"] != e.siteID ||
			rc.data[4]["reason"] != "observed on the wrong patient" || rc.data[0]["credential_id"] != lic.ID || rc.data[6]["person_id"] != ap.ID {
			t.Fatalf("payloads: %v", rc.data)
		}
		first, up, down := rc.data[1], rc.data[3], rc.data[5]
		if first["after"] != up["before"] || up["task"] != "VITALS" || up["after"] != "cleared" || up["before"] == "cleared" || up["as_of"] != today.String() ||
			down["before"] != "cleared" || down["after"] != up["before"] || len(down["reasons"].([]any)) == 0 {
			t.Fatalf("clearance.changed: %v / %v / %v", first, up, down)
		}

		var ds struct {
			Deliveries []struct {
				ID           string
				Status       string
				EventType    string `json:"event_type"`
				ResponseCode int    `json:"response_code"`
				Attempts     int
			}
		}
		decode(t, apiCall(e, "GET", "/api/v1/webhooks/"+ep.ID+"/deliveries", adminTok, ""), &ds)
		if len(ds.Deliveries) != 7 || ds.Deliveries[0].EventType != webhooks.PersonDeactivated || ds.Deliveries[0].Status != "delivered" ||
			ds.Deliveries[0].ResponseCode != 200 || ds.Deliveries[0].Attempts != 1 {
			t.Fatalf("deliveries: %+v", ds)
		}

		// The page: the list, a new endpoint with its secret once, the
		// deliveries with a resend, deletion.
		c := e.client()
		c.mustLogin("admin@hooks.test")
		if r := c.get("/admin/webhooks"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, srv.URL+"/hook") {
			t.Fatalf("webhooks page: %d", r.StatusCode)
		}
		r = c.post("/admin/webhooks", url.Values{"url": {srv.URL + "/page"}, "events": {"person.deactivated"}, "enabled": {"on"}})
		if r.StatusCode != http.StatusCreated || !strings.Contains(r.body, "whsec_") {
			t.Fatalf("create on the page: %d %s", r.StatusCode, r.body)
		}
		pageID := regexp.MustCompile(`action="/admin/webhooks/([^"/]+)"`).FindStringSubmatch(r.body)[1]
		if r := c.get("/admin/webhooks/" + pageID); strings.Contains(r.body, "whsec_") {
			t.Fatal("the secret is shown again")
		}
		if r := c.post("/admin/webhooks/"+ep.ID+"/deliveries/"+ds.Deliveries[0].ID+"/resend", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("resend: %d %s", r.StatusCode, r.body)
		}
		if r := c.get("/admin/webhooks/" + ep.ID); !strings.Contains(r.body, "Pending") || !strings.Contains(r.body, "person.deactivated") {
			t.Fatalf("deliveries on the page: %s", r.body)
		}
		if n, err := e.svc.Dispatcher.Drain(ctx); n != 1 || err != nil || len(rc.types) != 8 {
			t.Fatalf("resent: %d %v %v", n, err, rc.types)
		}
		if r := c.post("/admin/webhooks/"+pageID+"/delete", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete on the page: %d", r.StatusCode)
		}

		r = apiCall(e, "PATCH", "/api/v1/webhooks/"+ep.ID, adminTok, `{"description":"EHR (prod)","rotate_secret":true}`)
		var rot struct{ Secret, Description, URL string }
		decode(t, r, &rot)
		if r.StatusCode != http.StatusOK || rot.Description != "EHR (prod)" || rot.URL != srv.URL+"/hook" || !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == ep.Secret {
			t.Fatalf("patch: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "PATCH", "/api/v1/webhooks/"+ep.ID, adminTok, `{"events":["nothing.happened"]}`); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("unknown event: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "DELETE", "/api/v1/webhooks/"+ep.ID, adminTok, ""); r.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.StatusCode, r.body)
		}
		if r := apiCall(e, "GET", "/api/v1/webhooks/"+ep.ID+"/deliveries", adminTok, ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("after delete: %d", r.StatusCode)
		}
	})
}
