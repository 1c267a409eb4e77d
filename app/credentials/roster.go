package credentials

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/skillgate/skillgate/app/accounts"
)

// Roster returns the import layout filled with the people of siteIDs
// (everyone when nil): their employee ids, names, emails, roles, sites and
// professional credentials, and one row per current credential (the
// newest of each type), so HR can edit the renewed cards and upload the
// sheet again. Verified is left blank on purpose: a renewed card copied
// from a verified row must not arrive verified.
func (im *Importer) Roster(ctx context.Context, format Format, siteIDs []string) ([]byte, error) {
	sites, err := im.Accounts.Sites(ctx)
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	siteName := map[string]string{}
	for _, s := range sites {
		siteName[s.ID] = s.Name
	}
	var rows [][]string
	err = im.Accounts.EachSelected(ctx, accounts.Selection{SiteIDs: siteIDs}, 500, func(batch []*accounts.Person) error {
		ids := make([]string, len(batch))
		for i, p := range batch {
			ids[i] = p.ID
		}
		// The walk reads names and ids only; the roster needs the rest.
		people, err := im.Accounts.ByIDs(ctx, ids)
		if err != nil {
			return err
		}
		recs, err := im.Credentials.ForPeople(ctx, ids)
		if err != nil {
			return err
		}
		for _, p := range people {
			rows = append(rows, rosterRows(p, siteName, recs[p.ID])...)
			if len(rows) > MaxRows {
				return fmt.Errorf("roster: more than %d rows; export one site at a time: %w", MaxRows, ErrTooManyRows)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sheet(format, rows)
}

// rosterRows is one person's rows: one per current credential, or one
// without a credential.
func rosterRows(p *accounts.Person, siteName map[string]string, recs []Record) [][]string {
	var roles, sites []string
	for _, r := range p.Roles {
		roles = append(roles, string(r))
	}
	for _, id := range p.SiteIDs {
		sites = append(sites, siteName[id])
	}
	slices.Sort(sites)
	cred := p.Credential
	if cred == "none" {
		cred = ""
	}
	person := map[string]string{colEmployeeID: p.EmployeeID, colName: p.Name, colEmail: p.Email,
		colRole: strings.Join(roles, "; "), colSite: strings.Join(sites, "; "), colProfCred: cred,
		colHireDate: p.HireDate}
	current := map[string]Record{}
	for _, r := range recs {
		if have, ok := current[r.TypeCode]; !ok || have.ExpiresOn.Before(r.ExpiresOn) ||
			(have.ExpiresOn == r.ExpiresOn && have.IssuedOn.Before(r.IssuedOn)) {
			current[r.TypeCode] = r
		}
	}
	row := func(vals map[string]string) []string {
		out := make([]string, len(Columns))
		for i, c := range Columns {
			out[i] = vals[c.Name]
		}
		return out
	}
	if len(current) == 0 {
		return [][]string{row(person)}
	}
	var out [][]string
	for _, typ := range slices.Sorted(maps.Keys(current)) {
		r := current[typ]
		vals := map[string]string{colType: r.TypeCode, colIssuingBody: r.IssuingBody, colNumber: r.Number, colIssuedOn: r.IssuedOn.String()}
		switch {
		case r.ValidThroughMonth:
			vals[colExpiresOn] = fmt.Sprintf("%02d/%d", int(r.ExpiresOn.Month()), r.ExpiresOn.Year())
		case !r.ExpiresOn.IsZero():
			vals[colExpiresOn] = r.ExpiresOn.String()
		}
		for k, v := range person {
			vals[k] = v
		}
		out = append(out, row(vals))
	}
	return out
}
