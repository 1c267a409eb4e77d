package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/auth/password"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/scim"
	"github.com/skillgate/skillgate/app/sso/groupmap"
)

// fixture is a SCIM service on a fresh database, served on loopback with
// one token, the way the server mounts it (bearer token → audit actor).
type fixture struct {
	t      *testing.T
	svc    *scim.Service
	acc    *accounts.Store
	d      *db.DB
	url    string
	token  *scim.Token
	secret string
}

func newFixture(t *testing.T, d *db.DB, mapping string) *fixture {
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := &audit.Log{Now: clock}
	acc := accounts.NewStore(d)
	acc.Now, acc.Audit, acc.Hasher = clock, log, password.Hasher{Params: password.TestParams}
	m := groupmap.MustParse(mapping)
	svc := &scim.Service{DB: d, Accounts: acc, Audit: log, Now: clock, Log: slog.New(slog.DiscardHandler),
		GroupMap: func(context.Context) (groupmap.Map, error) { return m, nil }}
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	tok, secret, err := svc.CreateToken(ctx, "Entra ID", audit.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	h, err := svc.Handler("http://skillgate.test/scim/v2")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/scim", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := svc.Authenticate(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r.WithContext(audit.WithActor(r.Context(), scim.Actor(tok))))
	})))
	t.Cleanup(srv.Close)
	return &fixture{t: t, svc: svc, acc: acc, d: d, url: srv.URL + "/scim/v2", token: tok, secret: secret}
}

func (f *fixture) do(method, path, body string, want int) map[string]any {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.secret)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		f.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			f.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return out
}

// TestEntraSequence drives the requests Entra ID's provisioning service
// sends, in its order, and the RFC 7644 examples, on both engines:
// discovery, a filter lookup, create, group membership (which grants roles
// and sites through the mapping), a PATCH replace of attributes, PATCH
// active "False" (ending sessions and API tokens), replace, delete.
func TestEntraSequence(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		f := newFixture(t, d, "sg-rn=preceptor@Riverside Family Medicine,sg-hr=hr@*")
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		site, err := f.acc.CreateSite(ctx, "Riverside Family Medicine")
		if err != nil {
			t.Fatal(err)
		}

		spc := f.do("GET", "/ServiceProviderConfig", "", 200)
		if spc["patch"].(map[string]any)["supported"] != true {
			t.Errorf("ServiceProviderConfig: %v", spc)
		}
		if rt := f.do("GET", "/ResourceTypes", "", 200); rt["totalResults"].(float64) != 2 {
			t.Errorf("ResourceTypes: %v", rt)
		}
		f.do("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "", 200)

		// Entra looks the user up before creating them.
		q := "/Users?filter=" + url.QueryEscape(`userName eq "Ana.Diaz@Example.test"`)
		if got := f.do("GET", q, "", 200); got["totalResults"].(float64) != 0 {
			t.Fatalf("lookup before create: %v", got)
		}
		created := f.do("POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			"userName": "Ana.Diaz@Example.test",
			"active": true,
			"emails": [{"primary": true, "type": "work", "value": "Ana.Diaz@Example.test"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "Ana Diaz", "familyName": "Diaz", "givenName": "Ana"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E-7"},
			"roles": []}`, 201)
		id := created["id"].(string)
		if created["userName"] != "ana.diaz@example.test" || created["active"] != true || created["externalId"] != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
			t.Errorf("created: %v", created)
		}
		p, err := f.acc.ByID(ctx, id)
		if err != nil || p.Name != "Ana Diaz" || len(p.Roles) != 0 {
			t.Fatalf("person after create: %+v %v", p, err)
		}
		if got := f.do("GET", q, "", 200); got["totalResults"].(float64) != 1 {
			t.Errorf("lookup after create: %v", got)
		}
		byExt := "/Users?filter=" + url.QueryEscape(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`)
		if got := f.do("GET", byExt, "", 200); got["totalResults"].(float64) != 1 {
			t.Errorf("lookup by externalId: %v", got)
		}
		f.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ana.diaz@example.test"}`, 409)
		f.do("GET", "/Users?filter="+url.QueryEscape(`name.familyName co "D"`), "", 400)

		// Groups: the mapped one grants preceptor at Riverside; an unmapped
		// one changes nothing.
		grp := f.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"sg-rn","externalId":"g-1","members":[]}`, 201)
		gid := grp["id"].(string)
		other := f.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"everyone","members":[{"value":"`+id+`"}]}`, 201)
		if got := f.do("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "sg-rn"`), "", 200); got["totalResults"].(float64) != 1 {
			t.Errorf("group lookup: %v", got)
		}
		f.do("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+id+`"}]}]}`, 200)
		if p, _ = f.acc.ByID(ctx, id); !slices.Equal(p.Roles, []accounts.Role{accounts.RolePreceptor}) || !slices.Equal(p.SiteIDs, []string{site.ID}) {
			t.Errorf("after joining sg-rn: roles %v sites %v", p.Roles, p.SiteIDs)
		}

		// Entra's PATCH replace of attributes.
		f.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Replace","path":"emails[type eq \"work\"].value","value":"ana.ruiz@example.test"},
			{"op":"Replace","path":"name.familyName","value":"Ruiz"},
			{"op":"Replace","path":"userName","value":"ana.ruiz@example.test"}]}`, 200)
		if p, _ = f.acc.ByID(ctx, id); p.Name != "Ana Ruiz" || p.Email != "ana.ruiz@example.test" {
			t.Errorf("after replace: %q %q", p.Name, p.Email)
		}

		// PATCH active "False", as Entra ID sends it: the account is
		// disabled, its sessions end and its API tokens are revoked.
		if _, err := f.acc.StartSession(ctx, id, "127.0.0.1", "test"); err != nil {
			t.Fatal(err)
		}
		_, apiSecret, err := f.acc.CreateToken(ctx, id, "ehr", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		u := f.do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, 200)
		if u["active"] != false {
			t.Errorf("active after PATCH: %v", u["active"])
		}
		if n, _ := f.acc.CountSessions(ctx, id); n != 0 {
			t.Errorf("%d sessions left after deactivation", n)
		}
		if _, _, err := f.acc.AuthenticateToken(ctx, apiSecret); err == nil {
			t.Error("the API token still works after deactivation")
		}

		// Leaving the mapped group takes the roles away (Entra's remove).
		f.do("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Remove","path":"members[value eq \"`+id+`\"]"}]}`, 200)
		if p, _ = f.acc.ByID(ctx, id); len(p.Roles) != 0 || len(p.SiteIDs) != 0 {
			t.Errorf("after leaving sg-rn: roles %v sites %v", p.Roles, p.SiteIDs)
		}

		// RFC 7644 3.5.1: a PUT replaces the user (and here re-activates).
		put := f.do("PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+id+`",
			"userName":"ana.ruiz@example.test","externalId":"bjensen","name":{"formatted":"Ms. Ana Ruiz","familyName":"Ruiz","givenName":"Ana"},
			"active":true}`, 200)
		if put["active"] != true || put["externalId"] != "bjensen" || put["displayName"] != "Ms. Ana Ruiz" {
			t.Errorf("after PUT: %v", put)
		}

		// Delete deactivates and hides the user; the person stays.
		f.do("DELETE", "/Users/"+id, "", 204)
		f.do("GET", "/Users/"+id, "", 404)
		if got := f.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "ana.ruiz@example.test"`), "", 200); got["totalResults"].(float64) != 0 {
			t.Errorf("lookup after delete: %v", got)
		}
		if p, err = f.acc.ByID(ctx, id); err != nil || !p.Disabled() {
			t.Errorf("person after delete: %+v %v", p, err)
		}
		if g := f.do("GET", "/Groups/"+other["id"].(string), "", 200); len(g["members"].([]any)) != 0 {
			t.Errorf("a deleted user is still a member: %v", g)
		}
		f.do("DELETE", "/Groups/"+gid, "", 204)

		// Every change names the token that made it.
		recs, _, err := audit.List(ctx, d, audit.Filter{Actor: audit.SCIMActor}, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]bool{}
		for _, r := range recs {
			actions[r.Action] = true
			if r.Via != "scim_token:"+f.token.ID {
				t.Errorf("%s via %q", r.Action, r.Via)
			}
		}
		for _, a := range []string{accounts.ActionPersonCreate, scim.ActionProvision, scim.ActionGroupCreate, scim.ActionGroupUpdate,
			accounts.ActionPersonRoles, accounts.ActionPersonUpdate, accounts.ActionPersonDisable, accounts.ActionPersonEnable,
			scim.ActionUserDelete, scim.ActionGroupDelete} {
			if !actions[a] {
				t.Errorf("no %s entry by the SCIM token (have %v)", a, actions)
			}
		}
		if rep, err := audit.Verify(ctx, d); err != nil || rep.Problem != nil {
			t.Errorf("audit chain: %v %+v", err, rep.Problem)
		}
	})
}

func TestTokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		f := newFixture(t, d, "")
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		if _, err := f.svc.Authenticate(ctx, f.secret+"x"); !errors.Is(err, scim.ErrBadToken) {
			t.Errorf("wrong secret: %v", err)
		}
		if _, _, err := f.svc.CreateToken(ctx, " ", audit.SystemActor); !errors.Is(err, scim.ErrTokenName) {
			t.Errorf("blank name: %v", err)
		}
		f.do("GET", "/ServiceProviderConfig", "", 200)
		if err := f.svc.RevokeToken(ctx, f.token.ID); err != nil {
			t.Fatal(err)
		}
		f.do("GET", "/ServiceProviderConfig", "", 401)
		toks, err := f.svc.Tokens(ctx)
		if err != nil || len(toks) != 1 || toks[0].RevokedAt == nil || toks[0].LastUsedAt == nil {
			t.Errorf("tokens: %+v %v", toks, err)
		}
	})
}

// TestRFCExamples sends RFC 7644's own request examples (3.3 create, 3.5.2
// PATCH of a group's members: add, remove by filter, replace, remove all)
// on both engines.
func TestRFCExamples(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		f := newFixture(t, d, "Tour Guides=preceptor@*")
		ctx := audit.WithActor(context.Background(), audit.System("test"))
		if _, err := f.acc.CreateSite(ctx, "Main Street"); err != nil {
			t.Fatal(err)
		}
		// 3.3's userName is not an email, which Skillgate's logins are.
		if e := f.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","externalId":"bjensen",
			"name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara"}}`, 400); e["scimType"] != "invalidValue" {
			t.Errorf("non-email userName: %v", e)
		}
		babs := f.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","externalId":"bjensen",
			"name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara"}}`, 201)["id"].(string)
		mandy := f.do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"mandy@example.com"}`, 201)["id"].(string)
		g := f.do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Tour Guides"}`, 201)["id"].(string)
		if page := f.do("GET", "/Users?startIndex=2&count=1", "", 200); page["totalResults"].(float64) != 2 || len(page["Resources"].([]any)) != 1 {
			t.Errorf("a page of users: %v", page)
		}
		patch := func(ops string) {
			t.Helper()
			f.do("PATCH", "/Groups/"+g, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`, 200)
		}
		roles := func(id string) []accounts.Role {
			t.Helper()
			p, err := f.acc.ByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return p.Roles
		}
		patch(`{"op":"add","path":"members","value":[{"display":"Babs Jensen","$ref":"https://example.com/v2/Users/` + babs + `","value":"` + babs + `"}]}`)
		if !slices.Equal(roles(babs), []accounts.Role{accounts.RolePreceptor}) {
			t.Errorf("after add: %v", roles(babs))
		}
		patch(`{"op":"remove","path":"members[value eq \"` + babs + `\"]"}`)
		if len(roles(babs)) != 0 {
			t.Errorf("after remove: %v", roles(babs))
		}
		patch(`{"op":"replace","path":"members","value":[{"display":"Babs Jensen","value":"` + babs + `"},{"display":"Mandy Pepperidge","value":"` + mandy + `"}]}`)
		if got := f.do("GET", "/Groups/"+g, "", 200); len(got["members"].([]any)) != 2 || len(roles(mandy)) != 1 {
			t.Errorf("after replace: %v", got)
		}
		patch(`{"op":"remove","path":"members"}`)
		if len(roles(babs)) != 0 || len(roles(mandy)) != 0 {
			t.Errorf("after removing all: %v %v", roles(babs), roles(mandy))
		}
		f.do("PATCH", "/Groups/"+g, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"nobody"}]}]}`, 400)
	})
}
