package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/api/apitest"
	sgapi "github.com/skillgate/skillgate/app/api/client"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// integratorProgram is a program file as an integrator would import it:
// one competency, signed off after one observed performance and a passed
// knowledge test.
const integratorProgram = `format: skillgate-program/1
number: 1
status: draft
program:
  code: API-VITALS
  title: Vital signs for integrators
  type: competency-based
  competencies:
    - code: VITALS
      title: Vital signs
      domain: clinical
      checklist_version: 1
      checklist:
        - text: Identifies the patient with two identifiers
          critical: true
        - text: Measures blood pressure with a correctly sized cuff
      performances: [{count: 1}]
      knowledge_test: {pass_mark: 80}
      observed_by: {credentials: [RN]}
      signed_off_by: {credentials: [RN]}
  tasks:
    - code: VITALS
      title: Vital signs
      category: clinical
      competencies: [VITALS]
`

// Issue 22: an integrator's program written only against the client that
// oapi-codegen generates from openapi.json (app/api/client) runs the
// whole path with API tokens and no page, on a real server on loopback:
// import and publish a program, create a person, enroll, observe, record
// a knowledge test, record and verify the signer's licence, sign off, ask
// the clearance, and receive the sign-off and the clearance change at its
// webhook endpoint (a receiver on loopback, allowed by
// SKILLGATE_WEBHOOK_ALLOW_HOSTS), signed with the secret shown once and
// de-duplicated by webhook-id. Every exchange is also checked against the
// document.
func TestGeneratedClientScenario(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e := newEnvWith(t, d, map[string]string{"SKILLGATE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"})
		ctx := t.Context()
		staff := func(email, credential string, role accounts.Role) (*accounts.Person, string) {
			p, err := e.store.Create(ctx, accounts.NewPerson{Email: email, Name: "Staff " + email, Credential: credential,
				Roles: []accounts.Role{role}, SiteIDs: []string{e.siteID}, Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			_, tok, err := e.store.CreateToken(ctx, p.ID, "integration", 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return p, tok
		}
		_, adminTok := staff("admin@example.test", "none", accounts.RoleAdmin)
		_, dirTok := staff("director@example.test", "none", accounts.RoleDirector)
		prec, precTok := staff("rn@example.test", "RN", accounts.RolePreceptor)
		base := serve(t, e) + "/api/v1"
		as := func(tok string) *sgapi.ClientWithResponses {
			c, err := sgapi.NewClientWithResponses(base,
				sgapi.WithHTTPClient(&http.Client{Transport: &apitest.Transport{Validator: openAPI(t), Report: t.Errorf}}),
				sgapi.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
					r.Header.Set("Authorization", "Bearer "+tok)
					return nil
				}))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		admin, dir, rn := as(adminTok), as(dirTok), as(precTok)
		must := func(what string, status int, want int, body []byte) {
			t.Helper()
			if status != want {
				t.Fatalf("%s: %d, want %d: %s", what, status, want, body)
			}
		}

		imp, err := dir.PostProgramsWithBodyWithResponse(ctx, "application/yaml", strings.NewReader(integratorProgram))
		if err != nil {
			t.Fatal(err)
		}
		must("import the program file", imp.StatusCode(), http.StatusCreated, imp.Body)
		pub, err := dir.PostProgramsIdVersionsNPublishWithResponse(ctx, imp.JSON201.ProgramId, 1)
		if err != nil {
			t.Fatal(err)
		}
		must("publish it", pub.StatusCode(), http.StatusOK, pub.Body)

		// The integrator's endpoint: the secret comes once, in this answer.
		rc := &hookReceiver{dedupe: true}
		hooks := httptest.NewServer(rc)
		defer hooks.Close()
		wh, err := admin.PostWebhooksWithResponse(ctx, sgapi.NewWebhook{Url: hooks.URL + "/skillgate",
			Events: []sgapi.NewWebhookEvents{sgapi.NewWebhookEventsSignoffRecorded, sgapi.NewWebhookEventsClearanceChanged}, SiteIds: &[]string{e.siteID}})
		if err != nil {
			t.Fatal(err)
		}
		must("register the webhook endpoint", wh.StatusCode(), http.StatusCreated, wh.Body)
		rc.secret = *wh.JSON201.Secret
		// The dispatcher, as serve runs it.
		run, stop := context.WithCancel(ctx)
		dispatched := make(chan struct{})
		go func() { defer close(dispatched); e.svc.Dispatcher.Run(run, 10*time.Millisecond) }()
		defer func() { stop(); <-dispatched }()

		np, err := admin.PostPeopleWithResponse(ctx, sgapi.NewPerson{Name: "Noa Hale", Email: "noa@example.test",
			Roles: []sgapi.Role{sgapi.Apprentice}, SiteIds: &[]string{e.siteID}})
		if err != nil {
			t.Fatal(err)
		}
		must("create the person", np.StatusCode(), http.StatusCreated, np.Body)
		noa := np.JSON201.Id

		today := openapi_types.Date{Time: orgToday(e).Time(time.UTC)}
		en, err := dir.PostEnrollmentsWithResponse(ctx, sgapi.PostEnrollmentsJSONRequestBody{IdempotencyKey: "enroll-noa-vitals",
			PersonId: noa, VersionId: pub.JSON200.VersionId, SiteId: e.siteID, StartDate: &today, PreceptorIds: &[]string{prec.ID}})
		if err != nil {
			t.Fatal(err)
		}
		must("enroll", en.StatusCode(), http.StatusCreated, en.Body)

		task := "VITALS"
		clearance := func() sgapi.DecisionStatus {
			t.Helper()
			r, err := dir.GetClearancesWithResponse(ctx, &sgapi.GetClearancesParams{Person: &noa, Task: &task})
			if err != nil {
				t.Fatal(err)
			}
			must("ask the clearance", r.StatusCode(), http.StatusOK, r.Body)
			d, err := r.JSON200.AsDecision()
			if err != nil {
				t.Fatal(err)
			}
			return d.Status
		}
		if s := clearance(); s == sgapi.Cleared {
			t.Fatalf("cleared before any evidence")
		}

		ob, err := rn.PostEnrollmentsIdObservationsWithResponse(ctx, en.JSON201.Id, sgapi.PostEnrollmentsIdObservationsJSONRequestBody{
			IdempotencyKey: "observe-noa-vitals-1", Competency: "VITALS", PerformedOn: today,
			Steps: []sgapi.StepResult{{Index: 0, Met: true}, {Index: 1, Met: true}}})
		if err != nil {
			t.Fatal(err)
		}
		must("observe", ob.StatusCode(), http.StatusCreated, ob.Body)
		if !ob.JSON201.Successful {
			t.Fatalf("observation with every step met is not successful: %s", ob.Body)
		}

		kt, err := rn.PostEnrollmentsIdTestsWithResponse(ctx, en.JSON201.Id, sgapi.PostEnrollmentsIdTestsJSONRequestBody{
			IdempotencyKey: "test-noa-vitals-1", Competency: "VITALS", Score: 90, TakenOn: today})
		if err != nil {
			t.Fatal(err)
		}
		must("record the knowledge test", kt.StatusCode(), http.StatusCreated, kt.Body)

		// The signer's licence, on file (HR's or an administrator's part).
		issued := openapi_types.Date{Time: today.AddDate(-1, 0, 0)}
		expires := openapi_types.Date{Time: today.AddDate(1, 0, 0)}
		lic, err := admin.PostPeopleIdCredentialsWithResponse(ctx, prec.ID, sgapi.PostPeopleIdCredentialsJSONRequestBody{
			Type: "RN", IssuedOn: issued, ExpiresOn: &expires})
		if err != nil {
			t.Fatal(err)
		}
		must("record the signer's RN", lic.StatusCode(), http.StatusCreated, lic.Body)
		ver, err := admin.PostPeopleIdCredentialsRidVerifyWithResponse(ctx, prec.ID, lic.JSON201.Id,
			sgapi.PostPeopleIdCredentialsRidVerifyJSONRequestBody{Method: "checked the state board's licence lookup"})
		if err != nil {
			t.Fatal(err)
		}
		must("verify it", ver.StatusCode(), http.StatusOK, ver.Body)

		so, err := rn.PostEnrollmentsIdSignoffsWithResponse(ctx, en.JSON201.Id, sgapi.PostEnrollmentsIdSignoffsJSONRequestBody{
			IdempotencyKey: "signoff-noa-vitals-1", Competency: "VITALS", Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		must("sign off", so.StatusCode(), http.StatusCreated, so.Body)

		if s := clearance(); s != sgapi.Cleared {
			t.Fatalf("after the sign-off the clearance is %s, want cleared", s)
		}

		// The endpoint receives the sign-off, then the clearance it
		// changed, each signed (the receiver refuses any other).
		received := func(what string, ok func(h *hookReceiver) bool) {
			t.Helper()
			for deadline := time.Now().Add(10 * time.Second); !rc.received(ok); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					rc.received(func(h *hookReceiver) bool {
						t.Fatalf("%s: received %v (%d badly signed)", what, h.types, h.bad)
						return true
					})
				}
			}
		}
		n := 0
		received("the sign-off and its clearance change", func(h *hookReceiver) bool {
			n = len(h.types)
			return n >= 2 && h.types[n-2] == "signoff.recorded" && h.types[n-1] == "clearance.changed"
		})
		rc.received(func(h *hookReceiver) bool {
			signed, changed := h.data[n-2], h.data[n-1]
			if h.bad != 0 || signed["signoff_id"] != so.JSON201.Id || signed["person_id"] != noa || changed["person_id"] != noa ||
				changed["task"] != task || changed["after"] != "cleared" || changed["before"] == "cleared" || changed["as_of"] != today.Format(time.DateOnly) {
				t.Fatalf("received %v: %v", h.types, h.data)
			}
			return true
		})
		// A delivery sent again carries the same webhook-id: the receiver
		// answers it and keeps nothing twice.
		ds, err := admin.GetWebhooksIdDeliveriesWithResponse(ctx, wh.JSON201.Id)
		if err != nil {
			t.Fatal(err)
		}
		must("list the deliveries", ds.StatusCode(), http.StatusOK, ds.Body)
		i := slices.IndexFunc(ds.JSON200.Deliveries, func(d sgapi.WebhookDelivery) bool { return d.EventType == "signoff.recorded" })
		if i < 0 || ds.JSON200.Deliveries[i].Status != "delivered" {
			t.Fatalf("deliveries: %s", ds.Body)
		}
		calls := 0
		rc.received(func(h *hookReceiver) bool { calls = h.calls; return true })
		rs, err := admin.PostWebhooksIdDeliveriesDeliveryResendWithResponse(ctx, wh.JSON201.Id, ds.JSON200.Deliveries[i].Id)
		if err != nil {
			t.Fatal(err)
		}
		must("send the sign-off again", rs.StatusCode(), http.StatusAccepted, rs.Body)
		received("the sign-off sent again", func(h *hookReceiver) bool { return h.calls > calls })
		rc.received(func(h *hookReceiver) bool {
			if len(h.types) != n {
				t.Fatalf("kept twice: %v", h.types)
			}
			return true
		})
	})
}
