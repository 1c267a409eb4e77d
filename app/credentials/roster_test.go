package credentials_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/credentials"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// TestTemplateExampleUsesTheOrganisationsSite: the example row names a
// real clinic, so it imports as it stands.
func TestTemplateExampleUsesTheOrganisationsSite(t *testing.T) {
	for _, f := range []credentials.Format{credentials.FormatCSV, credentials.FormatXLSX} {
		data, err := credentials.Template(f, "Riverside Family Medicine")
		if err != nil {
			t.Fatal(err)
		}
		p := parse(t, "template."+string(f), data)
		if !p.OK() || len(p.People) != 1 || len(p.People[0].Sites) != 1 || p.People[0].Sites[0] != "Riverside Family Medicine" {
			t.Fatalf("%s template: problems %v, people %+v", f, p.Problems, p.People)
		}
	}
}

// TestRenewalRosterMatchedByEmail: HR downloads the roster (ids, names,
// emails, sites and current credentials), renews one card and uploads it:
// the unchanged rows are already there, the renewed card is added, and a
// person without an employee id is matched by email (the preview says so)
// and gets the file's id.
func TestRenewalRosterMatchedByEmail(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		im, hr := org(t, d)
		as := accounts.NewStore(d)
		sites, _ := as.Sites(ctx)
		noID, err := as.Create(ctx, accounts.NewPerson{Email: "nia@clinic.example", Name: "Nia Noid",
			Roles: []accounts.Role{accounts.RolePreceptor}, Credential: "RN", SiteIDs: []string{sites[1].ID}})
		if err != nil {
			t.Fatal(err)
		}
		old, err := as.Create(ctx, accounts.NewPerson{Email: "olga@clinic.example", Name: "Olga Old", EmployeeID: "E7",
			Roles: []accounts.Role{accounts.RoleApprentice}, SiteIDs: []string{sites[0].ID}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []credentials.NewRecord{
			{PersonID: noID.ID, TypeCode: "BLS", IssuingBody: "AHA", Number: "B-OLD", IssuedOn: day("2023-12-01"), ExpiresOn: day("2025-12-31"), ValidThroughMonth: true},
			{PersonID: noID.ID, TypeCode: "BLS", IssuingBody: "AHA", Number: "B1", IssuedOn: day("2024-12-01"), ExpiresOn: day("2026-12-31"), ValidThroughMonth: true},
			{PersonID: old.ID, TypeCode: "CMA", IssuingBody: "AAMA", Number: "C7", IssuedOn: day("2024-05-01"), ExpiresOn: day("2029-05-31")},
		} {
			if _, err := im.Credentials.Add(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		roster, err := im.Roster(ctx, credentials.FormatCSV, nil)
		if err != nil {
			t.Fatal(err)
		}
		text := string(roster)
		for _, want := range []string{"E7,Olga Old,olga@clinic.example,apprentice," + sites[0].Name + ",,,CMA,AAMA,C7,2024-05-01,2029-05-31,,",
			",Nia Noid,nia@clinic.example,preceptor," + sites[1].Name + ",RN,,BLS,AHA,B1,2024-12-01,12/2026,,", "HR1,Hana Reyes"} {
			if !strings.Contains(text, want) {
				t.Errorf("the roster has no line %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "B-OLD") {
			t.Errorf("the roster lists a superseded card:\n%s", text)
		}
		// HR renews Nia's BLS and gives her the HR system's employee id.
		renewed := strings.Replace(text, ",Nia Noid,nia@clinic.example,preceptor,"+sites[1].Name+",RN,,BLS,AHA,B1,2024-12-01,12/2026,,",
			"N42,Nia Noid,nia@clinic.example,preceptor,"+sites[1].Name+",RN,,BLS,AHA,B2,2026-11-20,11/2028,yes,", 1)
		p, err := im.Preview(ctx, "renewals.csv", bytes.NewReader([]byte(renewed)))
		if err != nil {
			t.Fatal(err)
		}
		if !p.OK() {
			t.Fatalf("problems = %v", p.Problems)
		}
		matched := map[string]string{}
		for _, pr := range p.People {
			matched[pr.Email] = pr.MatchedBy
			if pr.Email == "nia@clinic.example" && !pr.RecordsEmployeeID {
				t.Errorf("Nia's employee id would not be recorded")
			}
		}
		if matched["nia@clinic.example"] != credentials.MatchedByEmail || matched["olga@clinic.example"] != credentials.MatchedByEmployeeID {
			t.Fatalf("matched = %v", matched)
		}
		want := credentials.Summary{PeopleUnchanged: 3, CredentialsCreated: 1, CredentialsUnchanged: 1}
		if got := p.Counts(); got != want {
			t.Fatalf("counts = %+v, want %+v", got, want)
		}
		if _, err := im.Apply(ctx, p, hr.ID); err != nil {
			t.Fatal(err)
		}
		nia, err := as.ByEmail(ctx, "nia@clinic.example")
		if err != nil || nia.EmployeeID != "N42" {
			t.Fatalf("Nia after the import: %+v %v", nia, err)
		}
		recs, _ := im.Credentials.ForPeople(ctx, []string{nia.ID})
		if len(recs[nia.ID]) != 3 {
			t.Fatalf("Nia has %d records, want 3", len(recs[nia.ID]))
		}
		// Uploading the same sheet again changes nothing: now matched by
		// employee id.
		p, err = im.Preview(ctx, "renewals.csv", bytes.NewReader([]byte(renewed)))
		if err != nil || !p.OK() {
			t.Fatalf("again: %v %v", err, p.Problems)
		}
		if got := p.Counts(); got != (credentials.Summary{PeopleUnchanged: 3, CredentialsUnchanged: 2}) {
			t.Fatalf("again counts = %+v", got)
		}
		for _, pr := range p.People {
			if pr.Email == "nia@clinic.example" && pr.MatchedBy != credentials.MatchedByEmployeeID {
				t.Errorf("Nia is matched by %s the second time", pr.MatchedBy)
			}
		}
	})
}
