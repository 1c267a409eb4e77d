package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/api"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/app/request"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/errkind"
)

// apiHost is the server as the JSON API (app/api) sees it: a router that
// puts each route's policy and body limit in front of it (api.Router), and
// the object rule applied to the ids a request names (api.Scope).
type apiHost struct{ s *Server }

// mountAPI registers /api/v1 in this application, after the middleware
// every route passes.
func (s *Server) mountAPI() {
	api.Mount(apiHost{s}, api.Deps{Accounts: s.accounts, Programs: s.programs, Evidence: s.evidence, Clearance: s.clearance,
		Now: s.now, Scope: apiHost{s},
		Shared: api.Shared{Clearances: s.apiClearances, ChangeStatus: s.changeStatus, Pending: s.apiPending, Review: s.apiReview}})
	api.MountWebhooks(apiHost{s}, s.webhooks)
	api.MountWages(apiHost{s}, apiHost{s}, s.wages)
	api.MountEvaluations(apiHost{s}, apiHost{s}, s.evals, s.now)
	// Transcriptions may carry a scanned page (in base64).
	for _, p := range []string{"transcriptions", "transcriptions/self-logs", "transcriptions/hours", "transcriptions/tests", "paper-signoffs"} {
		s.uploads = append(s.uploads, uploadRoute{method: fiber.MethodPost, segments: strings.Split("api/v1/enrollments/:id/"+p, "/"), limit: scanFile})
	}
}

func (h apiHost) Get(path string, p access.Policy, f fiber.Handler)    { h.s.get(path, p, f) }
func (h apiHost) Post(path string, p access.Policy, f fiber.Handler)   { h.s.post(path, p, f) }
func (h apiHost) Delete(path string, p access.Policy, f fiber.Handler) { h.s.delete(path, p, f) }
func (h apiHost) Patch(path string, p access.Policy, f fiber.Handler)  { h.s.patch(path, p, f) }
func (h apiHost) Put(path string, p access.Policy, f fiber.Handler)    { h.s.put(path, p, f) }

func (h apiHost) VisiblePerson(c *fiber.Ctx, id string) (*accounts.Person, error) {
	return h.s.visiblePerson(c, id)
}

func (h apiHost) VisibleEnrollment(c *fiber.Ctx) (*assessments.Records, *accounts.Person, error) {
	return h.s.visibleEnrollment(c)
}

func (h apiHost) VisibleEnrollmentHead(c *fiber.Ctx) (*assessments.Enrollment, error) {
	e, _, err := h.s.visibleHead(c)
	return e, err
}

func (h apiHost) OwnEnrollment(c *fiber.Ctx) (*assessments.Records, error) {
	return h.s.ownEnrollment(c)
}

func (h apiHost) LoadVersion(c *fiber.Ctx) (*programs.Program, *programs.StoredVersion, error) {
	return h.s.loadVersion(c)
}

func (h apiHost) AsOf(c *fiber.Ctx) (curriculum.Date, error) { return h.s.asOfParam(c) }

func (h apiHost) Page(c *fiber.Ctx) int { return pageParam(c) }

func (h apiHost) Bind(c *fiber.Ctx, dst any) (map[string]string, error) { return bind(c, dst) }

func (h apiHost) VisibleResult(c *fiber.Ctx, personID string, asOf curriculum.Date) (*clearance.Result, error) {
	return h.s.visibleResult(c, personID, asOf)
}

func (h apiHost) RefuseTokenByToken(c *fiber.Ctx) error {
	if viaToken(c) {
		return errTokenByToken
	}
	return nil
}

func (h apiHost) TokenReauth(c *fiber.Ctx, f api.TokenForm) (map[string]string, error) {
	return h.s.tokenReauth(c, f)
}

// CreatePerson reads the API's JSON body and adds the person by the page
// form's rules.
func (h apiHost) CreatePerson(c *fiber.Ctx) (*accounts.Person, error) {
	var f personForm
	errs, err := bind(c, &f)
	if err != nil {
		return nil, err
	}
	p, errs, err := h.s.addPerson(c, f, errs)
	if errs != nil {
		return nil, badInput(siteIDsField(errs))
	}
	return p, err
}

// EditPerson changes what the new-person form set, by its rules: fields
// e leaves out keep p's values. Administrators only, as creating is.
func (h apiHost) EditPerson(c *fiber.Ctx, p *accounts.Person, e api.PersonEdit) error {
	if !request.User(c).Has(accounts.RoleAdmin) {
		return errkind.New(errkind.Forbidden, "Only an administrator changes a person's name, email, employee id, roles or sites.")
	}
	f := personForm{Name: p.Name, Email: p.Email, EmployeeID: p.EmployeeID, Credential: p.Credential, Sites: p.SiteIDs}
	for _, r := range p.Roles {
		f.Roles = append(f.Roles, string(r))
	}
	for dst, v := range map[*string]*string{&f.Name: e.Name, &f.Email: e.Email, &f.EmployeeID: e.EmployeeID} {
		if v != nil {
			*dst = *v
		}
	}
	if e.Roles != nil {
		f.Roles = *e.Roles
	}
	if e.SiteIDs != nil {
		f.Sites = *e.SiteIDs
	}
	errs, err := h.s.editPerson(c, p, f)
	if errs != nil {
		return badInput(siteIDsField(errs))
	}
	return err
}

// siteIDsField names the sites field site_ids, as the API shows it.
func siteIDsField(errs map[string]string) map[string]string {
	if m, ok := errs["sites"]; ok {
		delete(errs, "sites")
		errs["site_ids"] = m
	}
	return errs
}

// SetDisabled disables or re-enables an account by the page's rule.
func (h apiHost) SetDisabled(c *fiber.Ctx, id string, disabled bool) error {
	return h.s.setDisabled(c, id, disabled)
}

// Enroll reads the API's JSON body and enrolls by the page form's rules.
func (h apiHost) Enroll(c *fiber.Ctx) (assessments.Enrollment, bool, error) {
	var b enrollBody
	if err := c.BodyParser(&b); err != nil {
		return assessments.Enrollment{}, false, badInput(map[string]string{"": "The body must be JSON with idempotency_key, person_id, version_id, site_id, start_date (YYYY-MM-DD) and preceptor_ids."})
	}
	return h.s.enrollPerson(c, b)
}

// apiPending is the reviewer's queue as JSON (the review page's data, one
// read model): self-logs and hours to review, and competencies ready for
// sign-off or due for re-verification.
func (s *Server) apiPending(c *fiber.Ctx) error {
	q, err := s.queue(c, "")
	if err != nil {
		return err
	}
	v := pendingOf(q)
	return c.JSON(fiber.Map{"self_logs": api.NonNil(v.SelfLogs), "hours": api.NonNil(v.Hours),
		"sign_offs_ready": api.NonNil(apiSignOffs(q.Ready)), "reverifications_due": api.NonNil(apiSignOffs(q.Reverify)), "as_of": time.Now().UTC()})
}

// apiSignOff is a queue's sign-off item in the API.
type apiSignOff struct {
	EnrollmentID string `json:"enrollment_id"`
	Apprentice   string `json:"apprentice"`
	assessments.Readiness
}

func apiSignOffs(items []reports.QueueSignOff) []apiSignOff {
	out := make([]apiSignOff, len(items))
	for i, it := range items {
		out[i] = apiSignOff{EnrollmentID: it.EnrollmentID, Apprentice: it.Apprentice, Readiness: it.Readiness}
	}
	return out
}
