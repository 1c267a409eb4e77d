package server

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/errkind"
)

const peoplePerPage = 25

// peopleView is the people directory: /people for staff, /admin/people
// (the same list with the administrator's actions) for administrators.
type peopleView struct {
	Base                                     string // /people or /admin/people
	Admin                                    bool   // the administrator's page: account state and "Add a person"
	People                                   []reports.DirectoryRow
	Total, From, To                          int
	Query, Role, Site, Program, Status, Sort string
	Desc                                     bool
	EmployeeIDs                              bool // the reader sees employee ids and hire dates
	AllRoles                                 []accounts.Role
	Sites                                    []accounts.Site
	Programs                                 []*programs.Program
	Statuses                                 []option
	Pager                                    pager
	now                                      time.Time
	filters                                  url.Values
}

// Locked reports whether a person is locked out of login now.
func (v peopleView) Locked(p reports.DirectoryRow) bool {
	return p.LockedUntil != nil && v.now.Before(*p.LockedUntil)
}

// StatusLabel names an enrollment status for people.
func (v peopleView) StatusLabel(s string) string {
	return assessments.EnrollmentStatus(s).Label()
}

// SortLink is the link a column header sorts by.
func (v peopleView) SortLink(col string) string { return v.sorting().SortLink(col) }

// Col is the header of sortable column col.
func (v peopleView) Col(col, label string) sortColumn { return v.sorting().Col(col, label) }

func (v peopleView) sorting() sorting {
	return sorting{base: v.Base, filters: v.filters, sort: v.Sort, desc: v.Desc}
}

// sorting makes the links of a table's sortable column headers: plain
// links that keep the page's filters, sorted on the server.
type sorting struct {
	base    string
	filters url.Values
	sort    string
	desc    bool
}

// SortLink is the link a column header sorts by: ascending first, the
// other way when the list is already sorted by it.
func (v sorting) SortLink(col string) string {
	q := url.Values{}
	for k, vals := range v.filters {
		q[k] = vals
	}
	q.Set("sort", col)
	if v.sort == col && !v.desc {
		q.Set("dir", "desc")
	}
	return v.base + "?" + q.Encode()
}

// SortedBy is the column the table is sorted by.
func (v sorting) SortedBy() string { return v.sort }

// Descending reports whether the table is sorted the other way.
func (v sorting) Descending() bool { return v.desc }

// sortColumn is a sortable column header.
type sortColumn struct{ Label, Link, Aria string }

// Col is the header of sortable column col.
func (v sorting) Col(col, label string) sortColumn {
	return sortColumn{Label: label, Link: v.SortLink(col), Aria: v.AriaSort(col)}
}

// AriaSort is the column's aria-sort value ("" when not sorted by it).
func (v sorting) AriaSort(col string) string {
	switch {
	case v.sort != col:
		return ""
	case v.desc:
		return "descending"
	}
	return "ascending"
}

// PersonLink is where a person's name leads: the administrator's page for
// administrators, else the person's credentials.
func (v peopleView) PersonLink(id string) string {
	if v.Admin {
		return "/admin/people/" + url.PathEscape(id)
	}
	return "/people/" + url.PathEscape(id) + "/credentials"
}

// directoryScope is who u may find in the directory: the object rule
// (access.go) as a query. Administrators see everyone; HR and directors
// the people of their sites; preceptors the apprentices of their sites and
// those assigned to them. Only HR and administrators see employee ids and
// hire dates.
func directoryScope(u *accounts.Person) (reports.DirectoryScope, bool) {
	ids := u.HasAny(accounts.RoleHR, accounts.RoleAdmin)
	switch {
	case u.Has(accounts.RoleAdmin):
		return reports.DirectoryScope{All: true, EmployeeIDs: ids}, true
	case u.HasAny(accounts.RoleHR, accounts.RoleDirector):
		return reports.DirectoryScope{SiteIDs: slices.Clone(u.SiteIDs), EmployeeIDs: ids}, true
	case u.Has(accounts.RolePreceptor):
		return reports.DirectoryScope{SiteIDs: slices.Clone(u.SiteIDs), ApprenticesOnly: true, PreceptorID: u.ID}, true
	}
	return reports.DirectoryScope{}, false
}

func (s *Server) peoplePage(c *fiber.Ctx) error {
	return s.directory(c, "/admin/people", true)
}

func (s *Server) directoryPage(c *fiber.Ctx) error {
	return s.directory(c, "/people", false)
}

func (s *Server) directory(c *fiber.Ctx, base string, admin bool) error {
	ctx := c.UserContext()
	sc, ok := directoryScope(currentUser(c))
	if !ok {
		return errForbidden
	}
	v := peopleView{Base: base, Admin: admin, Query: strings.TrimSpace(c.Query("q")), Role: c.Query("role"), Site: c.Query("site"),
		Program: c.Query("program"), Status: c.Query("status"), Sort: c.Query("sort"), Desc: c.Query("dir") == "desc",
		EmployeeIDs: sc.EmployeeIDs, AllRoles: accounts.AllRoles, now: s.now(),
		Statuses: []option{{"", "Anyone"}, {reports.NotEnrolled, "Not enrolled"}}}
	for _, st := range []assessments.EnrollmentStatus{assessments.EnrollmentActive, assessments.EnrollmentOnHold, assessments.EnrollmentCompleted, assessments.EnrollmentWithdrawn} {
		v.Statuses = append(v.Statuses, option{string(st), st.Label()})
	}
	f := reports.DirectoryFilter{Query: v.Query, SiteID: v.Site, ProgramID: v.Program, Limit: peoplePerPage}
	if v.Role != "" {
		r, err := accounts.ParseRole(v.Role)
		if err != nil {
			return errkind.New(errkind.Malformed, err.Error())
		}
		f.Role = r
	}
	if v.Status != "" && v.Status != reports.NotEnrolled && !assessments.EnrollmentStatus(v.Status).Valid() {
		return errkind.New(errkind.Malformed, fmt.Sprintf("There is no enrollment status %q; choose one from the list.", v.Status))
	}
	f.Status = v.Status
	if !slices.Contains(reports.DirectorySorts, v.Sort) || (!sc.EmployeeIDs && (v.Sort == "employee_id" || v.Sort == "hire_date")) {
		v.Sort = "name"
	}
	f.Sort, f.Desc = v.Sort, v.Desc
	page := pageParam(c)
	f.Offset = (page - 1) * peoplePerPage
	var err error
	if v.People, v.Total, err = s.reports.Directory(ctx, sc, f); err != nil {
		return err
	}
	if v.Sites, err = s.accounts.Sites(ctx); err != nil {
		return err
	}
	if !sc.All { // offer only the sites the reader may see
		v.Sites = slices.DeleteFunc(v.Sites, func(st accounts.Site) bool { return !slices.Contains(sc.SiteIDs, st.ID) })
	}
	if v.Programs, err = s.programs.List(ctx); err != nil {
		return err
	}
	v.filters = url.Values{}
	for k, val := range map[string]string{"q": v.Query, "role": v.Role, "site": v.Site, "program": v.Program, "status": v.Status} {
		if val != "" {
			v.filters.Set(k, val)
		}
	}
	q := url.Values{}
	for k, vals := range v.filters {
		q[k] = vals
	}
	if v.Sort != "name" || v.Desc {
		q.Set("sort", v.Sort)
		if v.Desc {
			q.Set("dir", "desc")
		}
	}
	if len(v.People) > 0 {
		v.From, v.To = f.Offset+1, f.Offset+len(v.People)
	}
	v.Pager = newPager(base, q, page, v.Total, peoplePerPage)
	return s.render(c, fiber.StatusOK, "people", Page{Title: "People", Nav: "people", Data: v})
}

// pager holds links to neighbouring pages, keeping the filters.
type pager struct {
	Page, Pages int
	Prev, Next  string
}

func newPager(base string, q url.Values, page, total, per int) pager {
	pages := max(1, (total+per-1)/per)
	p := pager{Page: page, Pages: pages}
	at := func(n int) string {
		q.Set("page", strconv.Itoa(n))
		return base + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = at(page - 1)
	}
	if page < pages {
		p.Next = at(page + 1)
	}
	return p
}

func pageParam(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// personForm is a new person as the page's form and POST /api/v1/people
// take it.
type personForm struct {
	Name       string   `form:"name" json:"name" label:"Full name" validate:"required,notblank,max=200"`
	Email      string   `form:"email" json:"email" label:"Email" validate:"required,email,max=254"`
	EmployeeID string   `form:"employee_id" json:"employee_id" label:"Employee id" validate:"max=64"`
	Credential string   `form:"credential" json:"credential" label:"Professional credential" validate:"max=10"`
	Roles      []string `form:"roles" json:"roles" label:"Roles" validate:"min=1,dive,oneof=admin director preceptor apprentice hr"`
	Sites      []string `form:"sites" json:"site_ids" label:"Sites" validate:"dive,max=64"`
}

// HasRole and HasSite keep checkboxes ticked when the form is shown again.
func (f personForm) HasRole(r accounts.Role) bool { return slices.Contains(f.Roles, string(r)) }

// HasSite reports whether site id was ticked.
func (f personForm) HasSite(id string) bool { return slices.Contains(f.Sites, id) }

type newPersonView struct {
	Form        personForm
	AllRoles    []accounts.Role
	Credentials []string
	Sites       []accounts.Site
}

func (s *Server) newPersonPage(c *fiber.Ctx) error {
	return s.renderNewPerson(c, fiber.StatusOK, personForm{Credential: "none"}, nil)
}

func (s *Server) renderNewPerson(c *fiber.Ctx, status int, f personForm, errs map[string]string) error {
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	v := newPersonView{Form: f, AllRoles: accounts.AllRoles, Credentials: accounts.Credentials, Sites: sites}
	return s.render(c, status, "person_new", Page{Title: "Add a person", Nav: "people", Errors: errs, Data: v})
}

func (s *Server) createPerson(c *fiber.Ctx) error {
	var f personForm
	errs, err := bind(c, &f)
	if err != nil {
		return err
	}
	p, errs, err := s.addPerson(c, f, errs)
	var taken *errkind.Error
	if errors.As(err, &taken) && taken.Fields != nil {
		return s.renderNewPerson(c, statusOf(err), f, taken.Fields)
	}
	if err != nil {
		return err
	}
	if errs != nil {
		return s.renderNewPerson(c, statusFor(errkind.Malformed), f, errs)
	}
	return s.renderPersonWithReset(c, p, "person-created")
}

// addPerson creates the person f describes, by the rules the page and the
// API share: field messages (errs are bind's, checked first) when f breaks
// one, the store's audited Create otherwise. Someone already having the
// email or employee id is a Conflict naming the email field.
func (s *Server) addPerson(c *fiber.Ctx, f personForm, errs map[string]string) (*accounts.Person, map[string]string, error) {
	errs, roles, err := s.checkPerson(c, f, errs)
	if errs != nil || err != nil {
		return nil, errs, err
	}
	p, err := s.accounts.Create(c.UserContext(), accounts.NewPerson{
		Name: f.Name, Email: f.Email, EmployeeID: f.EmployeeID, Credential: f.Credential, Roles: roles, SiteIDs: f.Sites,
	})
	return p, nil, personTaken(err)
}

// editPerson sets p's name, email, employee id, roles and sites to f's by
// the rules addPerson follows (f holds p's values where nothing new was
// sent), in one audited transaction.
func (s *Server) editPerson(c *fiber.Ctx, p *accounts.Person, f personForm) (map[string]string, error) {
	errs, roles, err := s.checkPerson(c, f, check(&f))
	if errs != nil || err != nil {
		return errs, err
	}
	// As with disabling: an administrator cannot lock themself out; another
	// one takes the role away, so an organisation is never left without one
	// by a slip.
	if p.ID == currentUser(c).ID && p.Has(accounts.RoleAdmin) && !slices.Contains(roles, accounts.RoleAdmin) {
		return map[string]string{"roles": "You cannot take the administrator role from yourself; ask another administrator."}, nil
	}
	return nil, personTaken(s.accounts.Edit(c.UserContext(), p.ID, accounts.PersonEdit{Name: f.Name, Email: f.Email, EmployeeID: f.EmployeeID,
		Roles: roles, SiteIDs: f.Sites}))
}

// checkPerson checks f by the rules of the new-person form after its
// field rules (errs, bind's, checked first): a known credential, sites
// that exist. It returns the roles f names.
func (s *Server) checkPerson(c *fiber.Ctx, f personForm, errs map[string]string) (map[string]string, []accounts.Role, error) {
	if errs == nil {
		if _, cerr := accounts.ParseCredential(f.Credential); cerr != nil {
			errs = map[string]string{"credential": cerr.Error()}
		}
	}
	if errs == nil {
		sites, err := s.accounts.Sites(c.UserContext())
		if err != nil {
			return nil, nil, err
		}
		for _, id := range f.Sites {
			if !slices.ContainsFunc(sites, func(s accounts.Site) bool { return s.ID == id }) {
				errs = map[string]string{"sites": "One of the chosen sites does not exist any more. Choose again."}
			}
		}
	}
	if errs != nil {
		return errs, nil, nil
	}
	roles := make([]accounts.Role, len(f.Roles))
	for i, r := range f.Roles {
		roles[i] = accounts.Role(r)
	}
	return nil, roles, nil
}

// personTaken reads a conflict on writing a person as what it is: someone
// else has the email or employee id.
func personTaken(err error) error {
	if errors.Is(err, db.ErrConflict) {
		return errkind.WithFields(errkind.Conflict, "Someone already has this email or employee id.",
			map[string]string{"email": "Someone already has this email or employee id."})
	}
	return err
}

func (s *Server) personPage(c *fiber.Ctx) error {
	p, err := s.accounts.ByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderPerson(c, p, personView{})
}

type personView struct {
	Person       *accounts.Person
	SiteNames    []string
	Locked       bool
	ResetLink    string
	ResetExpires time.Time
	// ResetSentTo is the address a password link was emailed to (the
	// issuer sees that it was sent, never the link); ResetNotSent says
	// the mail server refused it.
	ResetSentTo  string
	ResetNotSent bool
	// Identities are the person's links to identity providers (sso.go).
	Identities []sso.Identity
}

func (s *Server) renderPerson(c *fiber.Ctx, p *accounts.Person, v personView) error {
	sites, err := s.accounts.Sites(c.UserContext())
	if err != nil {
		return err
	}
	for _, site := range sites {
		if slices.Contains(p.SiteIDs, site.ID) {
			v.SiteNames = append(v.SiteNames, site.Name)
		}
	}
	v.Person = p
	v.Locked = p.LockedUntil != nil && s.now().Before(*p.LockedUntil)
	if v.Identities, err = s.sso.Identities(c.UserContext(), p.ID); err != nil {
		return err
	}
	pg := Page{Title: p.Name, Nav: "people", Data: v}
	return s.render(c, fiber.StatusOK, "person", pg)
}

// renderPersonWithReset issues a one-time password link. With mail
// configured it goes only to the person's own email, and the issuer is
// told it was sent: whoever issues a link must not be able to use it to
// become the person. Without mail (a small clinic's first set-up) it is
// shown once to the issuer, who passes it on.
func (s *Server) renderPersonWithReset(c *fiber.Ctx, p *accounts.Person, flash string) error {
	secret, exp, err := s.accounts.StartReset(c.UserContext(), currentUser(c).ID, p.ID)
	if err != nil {
		return err
	}
	link := s.cfg.BaseURL + "/reset/" + secret
	c.Request().URI().QueryArgs().Set("msg", flash)
	if s.mail == nil {
		return s.renderPerson(c, p, personView{ResetLink: link, ResetExpires: exp})
	}
	v := personView{ResetSentTo: p.Email, ResetExpires: exp}
	body := "Hello " + p.Name + ",\n\n" + currentUser(c).Name + " started a password reset for your Skillgate account. " +
		"Choose a new password here (the link works once, until " + exp.UTC().Format("15:04 UTC on Jan 2, 2006") + "):\n\n" + link +
		"\n\nIf you did not expect this, tell your administrator. Your second factor, if you have one, is unchanged.\n"
	if err := s.mail.Send(c.UserContext(), p.Email, "Skillgate: choose a new password", body); err != nil {
		// The link is in no one's hands; a new one can be sent later.
		s.logWith(c).Warn("password link not sent", "target", p.ID, "error", err)
		v.ResetNotSent = true
	}
	return s.renderPerson(c, p, v)
}

func (s *Server) startReset(c *fiber.Ctx) error {
	p, err := s.accounts.ByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	s.logWith(c).Info("password reset started", "user_id", currentUser(c).ID, "target", p.ID)
	return s.renderPersonWithReset(c, p, "reset-link-issued")
}

func (s *Server) unlockPerson(c *fiber.Ctx) error {
	return s.personAction(c, func(id string) error { return s.accounts.Unlock(c.UserContext(), id) }, "person-unlocked")
}

// unlinkSSO removes the person's link to the identity provider named by
// the form's issuer (audited): their next sign-in there links or creates
// afresh, by the same rules as a first one.
func (s *Server) unlinkSSO(c *fiber.Ctx) error {
	return s.personAction(c, func(id string) error { return s.sso.Unlink(c.UserContext(), id, c.FormValue("issuer")) }, "sso-unlinked")
}

func (s *Server) disablePerson(c *fiber.Ctx) error {
	return s.personAction(c, func(id string) error { return s.setDisabled(c, id, true) }, "person-disabled")
}

func (s *Server) enablePerson(c *fiber.Ctx) error {
	return s.personAction(c, func(id string) error { return s.setDisabled(c, id, false) }, "person-enabled")
}

// setDisabled disables or re-enables an account (the page's buttons and
// the API's PATCH): nobody disables their own.
func (s *Server) setDisabled(c *fiber.Ctx, id string, disabled bool) error {
	if disabled && id == currentUser(c).ID {
		return errkind.New(errkind.Invalid, "You cannot disable your own account; ask another administrator.")
	}
	return s.accounts.SetDisabled(c.UserContext(), id, disabled)
}

func (s *Server) personAction(c *fiber.Ctx, act func(id string) error, flash string) error {
	id := c.Params("id")
	if err := act(id); err != nil {
		return err
	}
	return c.Redirect("/admin/people/"+url.PathEscape(id)+"?msg="+flash, fiber.StatusSeeOther)
}
