package credentials

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
)

// insertChunk is how many rows one INSERT writes. 500 rows of 15 columns
// stay far below both engines' bound-parameter limits (SQLite 32,766,
// PostgreSQL 65,535) while making 10,000 rows a few dozen statements.
const insertChunk = 500

// Summary says what an import did (or, from Preview.Counts, would do).
type Summary struct {
	PeopleCreated        int
	PeopleUnchanged      int
	CredentialsCreated   int
	CredentialsUnchanged int
}

// Importer checks previews against the database and applies them.
type Importer struct {
	// Accounts reads sites; Credentials reads and writes records. Apply runs
	// in a transaction on Credentials.DB.
	Accounts    *accounts.Store
	Credentials *Store
	// Scope, when not nil, limits what the import may touch to what the
	// person importing may manage (see Scope).
	Scope *Scope
	// CredentialTypes, when not nil, lists the credential type codes an
	// import may use (those of the organisation's programs); nil accepts any
	// well-formed code.
	CredentialTypes []string
}

// Scope is what a person who is not an administrator may import: new
// people only at their own sites and only with roles below their own
// (Roles), and credentials only for people of their own sites. Rows outside
// it are problems, so nothing is written.
type Scope struct {
	SiteIDs []string
	// Roles are the roles new people may be given (nil: apprentices only).
	// Never HR, director or administrator: HR may not make staff with as
	// much power as HR or more (the server takes them from
	// SKILLGATE_IMPORT_ROLES, which refuses those).
	Roles []accounts.Role
}

// DefaultImportRoles are the roles an HR import may give new people unless
// the administrator allows more.
var DefaultImportRoles = []accounts.Role{accounts.RoleApprentice}

// roles returns the roles new people may be given.
func (sc *Scope) roles() []accounts.Role {
	if sc.Roles == nil {
		return DefaultImportRoles
	}
	return sc.Roles
}

// NewImporter returns an Importer on d.
func NewImporter(d *db.DB) *Importer {
	return &Importer{Accounts: accounts.NewStore(d), Credentials: NewStore(d)}
}

// Preview parses an import file and checks it against the database: the
// full preview HR reviews before applying. Nothing is written.
func (im *Importer) Preview(ctx context.Context, filename string, r io.Reader) (*Preview, error) {
	p, err := Parse(filename, r)
	if err != nil {
		return nil, err
	}
	if err := im.Check(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Check adds the problems only the database reveals (unknown sites, an
// employee id on file with another name or email, an email taken by
// someone else, missing details for new people) and sets each row's
// action. It may be run again; earlier Check results are replaced.
func (im *Importer) Check(ctx context.Context, p *Preview) error {
	return im.check(ctx, im.Credentials.DB, p)
}

func (im *Importer) check(ctx context.Context, idb bun.IDB, p *Preview) error {
	// Forget an earlier Check's findings.
	p.Problems, p.MoreProblems, p.Warnings = p.Problems[:p.parsed[0]], p.parsed[1], p.Warnings[:p.parsed[2]]
	p.Checked = false

	if im.CredentialTypes != nil {
		for _, c := range p.Credentials {
			if !slices.Contains(im.CredentialTypes, c.Record.TypeCode) {
				p.problem(c.Row, colType, "%s is not a credential type of this organisation (use one of %s)", c.Record.TypeCode, strings.Join(im.CredentialTypes, ", "))
			}
		}
	}

	sites, err := im.Accounts.WithTx(idb).Sites(ctx)
	if err != nil {
		return fmt.Errorf("import: read sites: %w", err)
	}
	siteByName := map[string]string{}
	var siteNames []string
	for _, s := range sites {
		siteByName[strings.ToLower(s.Name)] = s.ID
		siteNames = append(siteNames, s.Name)
	}

	// Everyone the file names, looked up at once.
	empIDs := make([]string, len(p.People))
	for i := range p.People {
		empIDs[i] = p.People[i].EmployeeID
	}
	people := im.Accounts.WithTx(idb)
	found, err := people.ByEmployeeIDs(ctx, empIDs)
	if err != nil {
		return fmt.Errorf("import: look up employees: %w", err)
	}
	byEmp := make(map[string]*accounts.Person, len(found))
	var existingIDs []string
	for _, ex := range found {
		byEmp[ex.EmployeeID] = ex
		existingIDs = append(existingIDs, ex.ID)
	}

	// People the employee id does not find are matched by email.
	var newEmails []string
	for i := range p.People {
		if _, ok := byEmp[p.People[i].EmployeeID]; !ok && p.People[i].Email != "" {
			newEmails = append(newEmails, p.People[i].Email)
		}
	}
	byEmail := map[string]*accounts.Person{}
	if len(newEmails) > 0 {
		taken, err := people.ByEmails(ctx, newEmails)
		if err != nil {
			return fmt.Errorf("import: look up emails: %w", err)
		}
		for _, t := range taken {
			byEmail[t.Email] = t
			existingIDs = append(existingIDs, t.ID)
		}
	}

	for i := range p.People {
		pr := &p.People[i]
		pr.siteIDs = pr.siteIDs[:0]
		for _, name := range pr.Sites {
			id, ok := siteByName[strings.ToLower(name)]
			if !ok {
				p.problem(pr.Row, colSite, "there is no clinic called %q in Skillgate (the clinics are %s); add it first or correct the name", clip(name), listForMessage(siteNames))
				continue
			}
			pr.siteIDs = append(pr.siteIDs, id)
		}
		pr.MatchedBy, pr.RecordsEmployeeID, pr.ChangesHireDate = "", false, false
		ex, ok := byEmp[pr.EmployeeID]
		if ok {
			pr.MatchedBy = MatchedByEmployeeID
		} else if ex, ok = byEmail[pr.Email]; ok {
			pr.MatchedBy = MatchedByEmail
		}
		if im.Scope != nil {
			im.Scope.check(p, pr, ex)
		}
		if !ok {
			pr.Action, pr.ID = ActionCreate, ""
			if pr.Name == "" {
				p.problem(pr.Row, colName, "employee %s is new to Skillgate, so their name is needed", pr.EmployeeID)
			}
			if pr.Email == "" {
				p.problem(pr.Row, colEmail, "employee %s is new to Skillgate, so their email is needed", pr.EmployeeID)
			}
			if len(pr.Roles) == 0 {
				p.problem(pr.Row, colRole, "employee %s is new to Skillgate, so their role is needed (for example apprentice)", pr.EmployeeID)
			}
			continue
		}
		// The import never changes people (but for recording the employee
		// id of someone matched by email who had none): a different name
		// or email means the wrong employee id (or a change HR should make
		// on the People page); role, site and credential differences are
		// left as they are.
		pr.Action, pr.ID = ActionUnchanged, ex.ID
		pr.ChangesHireDate = pr.HireDate != "" && pr.HireDate != ex.HireDate
		if pr.MatchedBy == MatchedByEmail {
			switch ex.EmployeeID {
			case "":
				pr.RecordsEmployeeID = true
			default:
				p.warn(pr.Row, colEmployeeID, "%s is employee %s in Skillgate (matched by email); the import keeps that id, not %s", ex.Name, ex.EmployeeID, pr.EmployeeID)
			}
		}
		switch {
		case pr.Name == "" || strings.EqualFold(pr.Name, ex.Name):
		case pr.MatchedBy == MatchedByEmail:
			// Someone else's email, most likely.
			other := "someone without an employee id"
			if ex.EmployeeID != "" {
				other = "employee " + ex.EmployeeID
			}
			p.problem(pr.Row, colEmail, "%s already belongs to %s (%s) in Skillgate, not to %s; correct the file or change the person on the People page first", pr.Email, ex.Name, other, pr.Name)
		default:
			p.problem(pr.Row, colName, "employee %s is %s in Skillgate, not %s; correct the file or change the person on the People page first", pr.EmployeeID, ex.Name, pr.Name)
		}
		if pr.Email != "" && pr.Email != ex.Email {
			p.problem(pr.Row, colEmail, "employee %s has the email %s in Skillgate, not %s; correct the file or change the person on the People page first", pr.EmployeeID, ex.Email, pr.Email)
		}
		if len(pr.Roles) > 0 && !slices.Equal(roleNames(pr.Roles), roleNames(ex.Roles)) {
			p.warn(pr.Row, colRole, "employee %s already has the roles %s; the import does not change them", pr.EmployeeID, strings.Join(roleNames(ex.Roles), ", "))
		}
		if len(pr.siteIDs) > 0 && !sameSet(pr.siteIDs, ex.SiteIDs) {
			p.warn(pr.Row, colSite, "employee %s already has other clinics; the import does not change them", pr.EmployeeID)
		}
		if pr.Credential != "" && pr.Credential != ex.Credential {
			p.warn(pr.Row, colProfCred, "employee %s is recorded as %s; the import does not change it", pr.EmployeeID, ex.Credential)
		}
	}

	// Records already on file for the people already there, in one query.
	have, err := im.Credentials.WithTx(idb).ForPeople(ctx, existingIDs)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	onFile := map[string]bool{}
	for _, recs := range have {
		for _, r := range recs {
			onFile[credKey(r.PersonID, r.TypeCode, r.Number, r.IssuedOn, r.ExpiresOn)] = true
		}
	}
	for i := range p.Credentials {
		c := &p.Credentials[i]
		pr := &p.People[p.byEmployee[c.EmployeeID]]
		c.Record.PersonID = pr.ID
		c.Action = ActionCreate
		if pr.ID != "" && onFile[credKey(pr.ID, c.Record.TypeCode, c.Record.Number, c.Record.IssuedOn, c.Record.ExpiresOn)] {
			c.Action = ActionUnchanged
		}
	}
	p.Checked = true
	return nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func listForMessage(names []string) string {
	if len(names) == 0 {
		return "none yet"
	}
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return strings.Join(names, ", ")
}

// Apply writes a preview in one transaction: all of it or, on any problem
// or error, none of it. It checks the preview again inside the
// transaction (the database may have changed since the preview was shown)
// and returns ErrProblems, with the preview's Problems updated, if anything
// stands in the way. People are matched on employee id and created when
// new, never changed; a credential is added unless an identical record
// (same person, type, number, issue and expiry dates) is on file. So
// importing the same file twice changes nothing the second time.
//
// by is the HR user importing: recorded as who entered the records and,
// for rows marked verified, who vouched for the verification.
func (im *Importer) Apply(ctx context.Context, p *Preview, by string) (Summary, error) {
	if !p.OK() {
		return Summary{}, fmt.Errorf("import %s: %w", p.Filename, ErrProblems)
	}
	if strings.TrimSpace(by) == "" {
		return Summary{}, errors.New("import: the importing user is missing")
	}
	var sum Summary
	err := im.Credentials.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := im.check(ctx, tx, p); err != nil {
			return err
		}
		if !p.OK() {
			return ErrProblems
		}
		// Hire dates and credentials of people already on file can change
		// their levels; new people have no enrollment yet.
		var known []string
		for _, pr := range p.People {
			if pr.Action != ActionCreate && pr.ID != "" {
				known = append(known, pr.ID)
			}
		}
		return im.Credentials.Outbox.Changing(ctx, tx, known, func(ctx context.Context) error {
			var err error
			sum, err = im.write(ctx, tx, p, by)
			return err
		})
	})
	if err != nil {
		if errors.Is(err, ErrProblems) {
			return Summary{}, fmt.Errorf("import %s: %w", p.Filename, ErrProblems)
		}
		// A rolled-back import created nobody: forget ids handed out.
		for i := range p.People {
			if p.People[i].Action == ActionCreate {
				p.People[i].ID = ""
			}
		}
		return Summary{}, fmt.Errorf("import %s: nothing was written: %w", p.Filename, translate(err))
	}
	return sum, nil
}

// write is Apply's writing, inside its transaction tx, after the check.
func (im *Importer) write(ctx context.Context, tx bun.Tx, p *Preview, by string) (Summary, error) {
	rows := db.Batches{IDB: tx, Size: insertChunk}
	var sum Summary
	now := im.Credentials.now()
	var created []accounts.Person
	for i := range p.People {
		pr := &p.People[i]
		if pr.Action != ActionCreate {
			continue
		}
		pr.ID = accounts.NewID()
		created = append(created, accounts.Person{ID: pr.ID, Email: pr.Email, Name: pr.Name, EmployeeID: pr.EmployeeID, HireDate: pr.HireDate,
			Credential: pr.Credential, Roles: pr.Roles, SiteIDs: slices.Compact(slices.Sorted(slices.Values(pr.siteIDs))), CreatedAt: now})
	}
	// No password: nobody created here can log in until an
	// administrator sends them a set-password link.
	if err := accounts.InsertPeople(ctx, rows, created, ""); err != nil {
		return sum, fmt.Errorf("add people: %w", err)
	}
	empIDs := map[string]string{}
	for _, pr := range p.People {
		if pr.RecordsEmployeeID {
			empIDs[pr.ID] = pr.EmployeeID
		}
	}
	if err := im.Accounts.WithTx(tx).RecordEmployeeIDs(ctx, empIDs); err != nil {
		return sum, fmt.Errorf("record employee ids: %w", err)
	}
	hires := map[string]string{}
	for _, pr := range p.People {
		if pr.ChangesHireDate {
			hires[pr.ID] = pr.HireDate
		}
	}
	if err := im.Accounts.WithTx(tx).RecordImportedHireDates(ctx, hires); err != nil {
		return sum, fmt.Errorf("record hire dates: %w", err)
	}
	var recs []recordRow
	for i := range p.Credentials {
		c := &p.Credentials[i]
		if c.Action != ActionCreate {
			continue
		}
		c.Record.PersonID = p.People[p.byEmployee[c.EmployeeID]].ID
		c.Record.RecordedBy = by
		row := im.Credentials.newRow(c.Record, now)
		if c.Verified {
			row.VerifiedAt, row.VerifiedBy = &now, by
			row.VerificationMethod = "marked verified in the imported file " + p.Filename
		}
		recs = append(recs, row)
	}
	if _, err := rows.Insert(ctx, &recs); err != nil {
		return sum, fmt.Errorf("add credentials: %w", err)
	}
	sum = p.Counts()
	// One entry per person and record created, and one for the import.
	es := make([]audit.Entry, 0, len(created)+len(recs)+1)
	for i := range p.People {
		if pr := &p.People[i]; pr.Action == ActionCreate {
			es = append(es, audit.Entry{Action: ActionImportPerson, EntityType: "person", EntityID: pr.ID, After: map[string]any{
				"email": pr.Email, "name": pr.Name, "employee_id": pr.EmployeeID, "credential": pr.Credential,
				"roles": pr.Roles, "site_ids": pr.siteIDs, "password_set": false, "import": p.Filename}})
		}
	}
	for _, r := range recs {
		es = append(es, audit.Entry{Action: ActionAdd, EntityType: "credential", EntityID: r.ID,
			After: struct {
				Record
				Import string `json:"import"`
			}{r.record(), p.Filename}})
	}
	// Which roles the importer could give: the limit in force is part
	// of what the trail says about an import.
	allowed := []string{"any (administrator)"}
	if im.Scope != nil {
		allowed = roleNames(im.Scope.roles())
	}
	es = append(es, audit.Entry{Action: ActionImportApply, EntityType: "import", EntityID: p.Filename, After: map[string]any{
		"file": p.Filename, "people_created": sum.PeopleCreated, "people_unchanged": sum.PeopleUnchanged,
		"credentials_created": sum.CredentialsCreated, "credentials_unchanged": sum.CredentialsUnchanged,
		"roles_allowed": allowed}})
	return sum, im.Credentials.Audit.AppendAll(ctx, tx, es)
}

// check adds a problem for a row outside the scope: a new person who
// would be an administrator or would belong to a site outside it (or to
// none), or an existing person of none of its sites.
func (sc *Scope) check(p *Preview, pr *PersonRow, ex *accounts.Person) {
	inScope := func(ids []string) bool {
		return len(ids) > 0 && !slices.ContainsFunc(ids, func(id string) bool { return !slices.Contains(sc.SiteIDs, id) })
	}
	if ex != nil {
		if !slices.ContainsFunc(ex.SiteIDs, func(id string) bool { return slices.Contains(sc.SiteIDs, id) }) {
			p.problem(pr.Row, colEmployeeID, "employee %s is not at one of your clinics; ask an administrator to import this row", pr.EmployeeID)
		}
		return
	}
	var refused []string
	for _, r := range pr.Roles {
		if !slices.Contains(sc.roles(), r) {
			refused = append(refused, string(r))
		}
	}
	if len(refused) > 0 {
		p.problem(pr.Row, colRole, "only an administrator can create people with the role %s; your imports may create %s",
			strings.Join(refused, " or "), strings.Join(roleNames(sc.roles()), " or "))
	}
	if !inScope(pr.siteIDs) {
		p.problem(pr.Row, colSite, "new people must belong to one or more of your clinics")
	}
}
