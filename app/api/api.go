// Package api is Skillgate's JSON API (/api/v1, described by openapi.json),
// kept apart from the pages (app/server) as Miniflux keeps internal/api
// apart from internal/ui. The server mounts it into its one Fiber
// application, so every API route passes the same middleware as a page:
// identification, authentication (session or bearer token), rate and body
// limits, the CSRF check (token requests are exempt there) and the one
// error handler that turns an error's kind (package errkind) into a status
// and a JSON body.
//
// Handlers are thin: parse, authorise (each route's access.Policy, then the
// object rule through Scope), call the domain, answer JSON. Writes carry an
// idempotency key; a replay answers 200 with the record first stored, a new
// record 201.
package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/access"
	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/curriculum"
)

// Router registers a route under its policy: the server's, which puts the
// policy's guard and the route's body limit in front of the handlers.
type Router interface {
	Get(path string, p access.Policy, h fiber.Handler)
	Post(path string, p access.Policy, h fiber.Handler)
	Delete(path string, p access.Policy, h fiber.Handler)
	Patch(path string, p access.Policy, h fiber.Handler)
	Put(path string, p access.Policy, h fiber.Handler)
}

// Scope is what the API asks of the HTTP layer it is mounted in: the
// records a request names, loaded and checked against the object rule
// exactly as the pages do (404 for what the caller may not see), and the
// request's parameters read the same way.
type Scope interface {
	// VisiblePerson loads a person the caller may see.
	VisiblePerson(c *fiber.Ctx, id string) (*accounts.Person, error)
	// VisibleEnrollment loads the :id enrollment the caller may see, with
	// its records and its apprentice.
	VisibleEnrollment(c *fiber.Ctx) (*assessments.Records, *accounts.Person, error)
	// VisibleEnrollmentHead is VisibleEnrollment without the records
	// (evidence.Service.Head): for a write that does not read them.
	VisibleEnrollmentHead(c *fiber.Ctx) (*assessments.Enrollment, error)
	// OwnEnrollment is VisibleEnrollment for the apprentice only.
	OwnEnrollment(c *fiber.Ctx) (*assessments.Records, error)
	// LoadVersion loads the :id/:n program version (drafts for designers).
	LoadVersion(c *fiber.Ctx) (*programs.Program, *programs.StoredVersion, error)
	// AsOf reads ?as_of, defaulting to today in the organisation's zone.
	AsOf(c *fiber.Ctx) (curriculum.Date, error)
	// Page reads ?page (1 when absent or not a page number).
	Page(c *fiber.Ctx) int
	// CreatePerson adds a person from the JSON body, by the rules (and
	// with the audit entry) of the page's form.
	CreatePerson(c *fiber.Ctx) (*accounts.Person, error)
	// EditPerson changes a person's name, email, employee id, roles and
	// sites (those e sets) by the rules of the page's new-person form.
	EditPerson(c *fiber.Ctx, p *accounts.Person, e PersonEdit) error
	// SetDisabled disables or re-enables an account by the page's rule.
	SetDisabled(c *fiber.Ctx, id string, disabled bool) error
	// Enroll enrolls a person from the JSON body, by the rules the page's
	// form follows.
	Enroll(c *fiber.Ctx) (assessments.Enrollment, bool, error)
	// VisibleResult is the person's clearance on a day, from an enrollment
	// the caller may see (clearance.ErrNotEnrolled otherwise).
	VisibleResult(c *fiber.Ctx, personID string, asOf curriculum.Date) (*clearance.Result, error)
	// RefuseTokenByToken refuses a request authenticated by an API token
	// (a token may not make another).
	RefuseTokenByToken(c *fiber.Ctx) error
	// TokenReauth checks the re-authentication sent with a token request
	// (a passkey's answer, or the password and, for a person with an
	// authenticator app, the code): field messages when it is not accepted.
	TokenReauth(c *fiber.Ctx, f TokenForm) (map[string]string, error)
	// Bind parses and validates a body into dst: per-field messages, or an
	// error for a body that cannot be read.
	Bind(c *fiber.Ctx, dst any) (map[string]string, error)
}

// Shared are the operations a page form and the API both post to, served
// by one handler each in the server (which answers JSON to the API).
type Shared struct {
	Clearances, ChangeStatus, Pending, Review fiber.Handler
}

// Deps are the services the API calls, built once by app/wiring.
type Deps struct {
	Accounts  *accounts.Store
	Programs  *programs.Store
	Evidence  *evidence.Service
	Clearance *clearance.Service
	Now       func() time.Time
	Scope     Scope
	Shared    Shared
}

// API serves /api/v1.
type API struct {
	accounts  *accounts.Store
	programs  *programs.Store
	evidence  *evidence.Service
	clearance *clearance.Service
	now       func() time.Time
	scope     Scope
}

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Mount registers every API route on r, each with its policy: reading down
// the list tells who may call what. Routes that take an id also apply the
// object rule (through Scope).
func Mount(r Router, d Deps) {
	a := &API{accounts: d.Accounts, programs: d.Programs, evidence: d.Evidence, clearance: d.Clearance, now: d.Now, scope: d.Scope}
	const api = Prefix
	r.Get(api+"/openapi.json", access.Public, a.openAPI)
	r.Get(api+"/me", access.LoggedIn, a.me)
	r.Get(api+"/tokens", access.LoggedIn, a.listTokens)
	r.Post(api+"/tokens", access.LoggedIn, a.createToken)
	r.Delete(api+"/tokens/:id", access.LoggedIn, a.revokeToken)
	r.Get(api+"/clearances", access.LoggedIn, d.Shared.Clearances)
	r.Get(api+"/enrollments", access.LoggedIn, a.enrollments)
	r.Post(api+"/enrollments", access.Directors, a.enroll)
	r.Get(api+"/enrollments/:id/evidence", access.LoggedIn, a.enrollmentEvidence)
	r.Post(api+"/enrollments/:id/status", access.Directors, d.Shared.ChangeStatus)
	r.Post(api+"/enrollments/:id/observations", access.Recorders, a.observe)
	r.Post(api+"/enrollments/:id/tests", access.Recorders, a.recordTest)
	r.Post(api+"/enrollments/:id/signoffs", access.Recorders, a.signOff)
	r.Post(api+"/enrollments/:id/signoffs/:so/revocations", access.Directors, a.revoke)
	r.Post(api+"/enrollments/:id/transcriptions", access.Transcribers, a.transcribe)
	r.Post(api+"/enrollments/:id/paper-signoffs", access.Transcribers, a.paperSignOff)
	r.Post(api+"/enrollments/:id/transcriptions/self-logs", access.Transcribers, a.transcribeSelfLog)
	r.Post(api+"/enrollments/:id/transcriptions/hours", access.Transcribers, a.transcribeHours)
	r.Post(api+"/enrollments/:id/transcriptions/tests", access.Transcribers, a.transcribeTest)
	r.Post(api+"/enrollments/:id/paper-signoffs/:ps/revocations", access.Directors, a.revokePaper)
	r.Post(api+"/enrollments/:id/selflogs", access.LoggedIn, a.selfLog)
	r.Post(api+"/enrollments/:id/hours", access.LoggedIn, a.logHours)
	r.Get(api+"/reviews", access.Recorders, d.Shared.Pending)
	r.Post(api+"/reviews/:kind/:id", access.Recorders, d.Shared.Review)
	r.Get(api+"/programs", access.LoggedIn, a.listPrograms)
	r.Post(api+"/programs", access.Designers, a.importProgram)
	r.Get(api+"/programs/:id/versions/:n", access.LoggedIn, a.programVersion)
	r.Post(api+"/programs/:id/versions/:n/publish", access.Designers, a.publishVersion)
	r.Get(api+"/people", access.PeopleReaders, a.listPeople)
	r.Post(api+"/people", access.Admins, a.createPerson)
	r.Patch(api+"/people/:id", access.HRStaff, a.updatePerson)
	// Demographic fields for RAPIDS: HR and admins only, reads audited.
	r.Get(api+"/people/:id/demographics", access.HRStaff, a.personDemographics)
	r.Put(api+"/people/:id/demographics", access.HRStaff, a.setDemographics)
	r.Get(api+"/people/:id/credentials", access.LoggedIn, a.personCredentials)
	r.Post(api+"/people/:id/credentials", access.HRStaff, a.addCredential)
	r.Post(api+"/people/:id/credentials/:rid/verify", access.HRStaff, a.verifyCredential)
}

// created answers a write: 201 with the new record, 200 with the record
// first stored when the idempotency key was seen before.
func created(c *fiber.Ctx, replayed bool, body any) error {
	if replayed {
		return c.Status(fiber.StatusOK).JSON(body)
	}
	return c.Status(fiber.StatusCreated).JSON(body)
}

// NonNil is s, or an empty slice for nil, so JSON shows [] rather than null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// TokenForm is a new API token as the account page and the API take it.
type TokenForm struct {
	Name string `form:"name" json:"name" label:"Token name" validate:"required,notblank,max=100"`
	Days int    `form:"days" json:"days" label:"Valid for" validate:"required,min=1,max=366"`
	// Password re-authenticates the person in the same request: a token is
	// a credential that outlives the session it was made in.
	// It may be left out when Passkey is sent.
	Password string `form:"password" json:"password" label:"Your password" validate:"required_without=Passkey,max=1024"`
	// Passkey is a passkey's answer (JSON) to the person's re-authentication
	// ceremony (POST /account/passkeys/reauth), instead of password and
	// code: a passkey with user verification is both factors.
	Passkey string `form:"passkey" json:"passkey" label:"Passkey" validate:"max=65536"`
	// Code is from the person's authenticator app, when they have one:
	// a token is a new credential, made only with both factors.
	Code string `form:"code" json:"code" label:"Code" validate:"max=64"`
	// ReadOnly limits the token to reading (GET): every write answers 403.
	ReadOnly bool `form:"read_only" json:"read_only"`
	// Sites limits the token to these of its owner's sites.
	Sites []string `form:"sites" json:"sites" label:"Sites" validate:"max=100,dive,max=64"`
}

// Scope is the token scope the form asks for.
func (f TokenForm) Scope() accounts.TokenScope {
	return accounts.TokenScope{ReadOnly: f.ReadOnly, SiteIDs: f.Sites}
}
