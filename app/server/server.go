// Package server is Skillgate's HTTP layer for people: Fiber routes, middleware,
// templates; it mounts the JSON API (app/api). Handlers are thin: parse, authorise, call the
// domain or a store, render.
//
// Fiber reuses request memory once a handler returns. Skillgate runs Fiber
// with Immutable set, so every string from Params, Query, FormValue, Get and
// Body is a copy and may be kept; the cost (a few allocations a request) is
// small next to a database round trip, and it removes a class of bugs.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/clientip"
	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/documents"
	"github.com/skillgate/skillgate/app/evaluations"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reminders"
	"github.com/skillgate/skillgate/app/reports"
	"github.com/skillgate/skillgate/app/scim"
	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/app/sso/oidc"
	"github.com/skillgate/skillgate/app/sso/saml"
	"github.com/skillgate/skillgate/app/wages"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/app/wiring"
)

// Server holds what the handlers need.
type Server struct {
	cfg       config.Config
	db        *db.DB
	accounts  *accounts.Store
	programs  *programs.Store
	evidence  *evidence.Service
	evals     *evaluations.Store
	clearance *clearance.Service
	documents *documents.Store
	reminders *reminders.Service
	wages     *wages.Service
	audit     *audit.Log
	kv        *db.KV
	limits    rateLimits
	proxies   clientip.Proxies // trusted proxies (app/clientip)
	uploads   []uploadRoute    // routes with more than formBody (bodylimit.go)
	log       *slog.Logger
	views     *views
	now       func() time.Time
	app       *fiber.App
	reports   *reports.Service   // what HR and auditors read, the HR dashboard's cache with it
	mail      reminders.Sender   // nil without SMTP: password links are then shown to their issuer
	webauthn  *webauthn.WebAuthn // passkeys (passkeys.go), for SKILLGATE_BASE_URL
	sso       *sso.Service       // single sign-on: links, mapping, step-up (sso.go)
	oidc      *oidc.Provider     // the OpenID provider, nil when not configured
	saml      *saml.Provider     // the SAML identity provider, nil when not configured (sso_saml.go)
	// formTargets are origins besides Skillgate's that a form's answer may
	// redirect to (CSP form-action): the providers', for signing.
	formTargets string
	caps        pageCaps
	scim        *scim.Service   // SCIM provisioning at /scim/v2 (scim_mount.go)
	webhooks    *webhooks.Store // endpoints (webhooks.go and /api/v1/webhooks)
}

// pageCaps are how many rows the pages that could list a whole
// organisation show: fields, not constants, so tests reach them with a
// small cohort (export_test.go).
type pageCaps struct {
	cohortMaxRows   int // the cohort grid asks for a site above it
	closestPageRows int // "closest to clearance" lists this many; the .xlsx all
}

// New builds the Fiber application with every route, on the services svc
// holds (built once, by wiring.New).
func New(svc *wiring.Services) (*Server, error) {
	v, err := loadViews(svc.Config.Location())
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	s := &Server{cfg: svc.Config, db: svc.DB, accounts: svc.Accounts, programs: svc.Programs, evidence: svc.Evidence,
		clearance: svc.Clearance, documents: svc.Documents, reminders: svc.Reminders, wages: svc.Wages, reports: svc.Reports, audit: svc.Audit,
		kv: db.NewKV(svc.DB), proxies: clientip.ParseProxies(svc.Config.TrustedProxies), log: svc.Logger, views: v, now: svc.Now, mail: svc.Mail,
		webhooks: svc.Webhooks, evals: svc.Evaluations,
		caps: pageCaps{cohortMaxRows: cohortMaxRows, closestPageRows: closestPageRows}, scim: svc.SCIM, sso: svc.SSO}
	app := fiber.New(fiber.Config{
		AppName:   "skillgate",
		Immutable: true, // see the package comment
		// "/CALENDAR/<token>" must not be the calendar feed: access rules,
		// limits and log redaction all look at the path as written.
		CaseSensitive:         true,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		// Bodies are streamed: the server reads a few KB of one before a
		// handler runs, and limitBody refuses what is over this caller's
		// limit for the route before anything reads it (bodylimit.go).
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    maxRequestBody,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 exportTimeout, // exports stream for a while
		IdleTimeout:                  2 * time.Minute,
		// No ProxyHeader: c.IP() is the socket's address, and the client's
		// address comes from identify (clientip.go). The proxy check still
		// decides whether X-Forwarded-Proto and -Host are believed (CSRF's
		// origin check reads them): with no proxies configured, nobody's.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          svc.Config.TrustedProxies,
	})
	s.app = app
	if s.webauthn, err = newWebAuthn(svc.Config.BaseURL); err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	s.oidc = newOIDC(s)
	if s.oidc != nil {
		// The sign-off form's answer redirects to the provider, which a
		// browser allows only to an origin form-action names.
		if u, err := url.Parse(s.cfg.OIDC.Issuer); err == nil {
			s.formTargets = " " + u.Scheme + "://" + u.Host
		}
	}
	if s.saml, err = newSAML(s); err != nil {
		return nil, err
	}
	s.limits = s.newRateLimits()
	app.Use(s.identify, s.accessLog, recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	app.Use(s.securityHeaders, s.requestContext)
	if err := s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// App returns the Fiber application (tests drive it with app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Shutdown stops accepting connections and waits up to timeout for
// in-flight requests to finish.
func (s *Server) Shutdown(timeout time.Duration) error { return s.app.ShutdownWithTimeout(timeout) }

// routes registers every route with its policy (access.go): reading down
// the list tells who may call what. Routes that take an id also apply the
// object rule in their handler (404 for what the caller may not see).
func (s *Server) routes() error {
	app := s.app
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	s.static()
	// SCIM: an identity provider's bearer token, not a person; outside
	// sessions, CSRF and the pages' authentication.
	if err := s.mountSCIM(); err != nil {
		return err
	}
	// The SAML IdP's answer: a cross-site POST, kept for the GET that
	// follows (sso_saml.go); outside sessions and CSRF for that reason.
	app.Post(saml.ACSPath, s.loginLimiter(), s.samlPost)

	// Who is asking decides how much they may send: nothing reads a body
	// before limitBody.
	app.Use(s.authenticate, s.limitRequests, s.limitBody, refuseNUL, s.csrf, s.requireEnrolment)

	s.get("/login", public, s.loginPage)
	s.post("/login", public, s.loginLimiter(), s.login)
	s.get("/login/code", public, s.loginCodePage)
	s.post("/login/code", public, s.loginLimiter(), s.loginCode)
	s.post("/logout", public, s.logout)
	// Single sign-on (sso.go): the provider's answer comes back here, for
	// a login or a signature's re-authentication.
	s.get("/auth/oidc/login", public, s.loginLimiter(), s.oidcLogin)
	s.get("/auth/oidc/callback", public, s.loginLimiter(), s.oidcCallback)
	s.get("/auth/saml/login", public, s.loginLimiter(), s.samlLogin)
	s.get(saml.ACSPath, public, s.loginLimiter(), s.samlACS)
	s.get(saml.MetadataPath, public, s.samlMetadata)
	s.get("/reset/:token", public, s.resetPage)
	s.post("/reset/:token", public, s.loginLimiter(), s.reset)
	s.get("/calendar/:token", public, s.calendarFeed)
	// A printed document's code (documents.go): public, rate limited.
	s.get("/verify/:code", public, s.verifyPage)

	// One's own home, account, tokens and notifications.
	s.get("/", loggedIn, s.home)
	s.get("/notifications", loggedIn, s.notificationsPage)
	s.post("/notifications/read", loggedIn, s.markRead)
	s.post("/account/calendar", loggedIn, s.newCalendar)
	s.post("/account/calendar/revoke", loggedIn, s.revokeCalendar)
	s.get("/account", loggedIn, s.accountPage)
	s.post("/account/password", loggedIn, s.changePassword)
	s.post("/account/tokens", loggedIn, s.createTokenForm)
	s.post("/account/tokens/:id/revoke", loggedIn, s.revokeTokenForm)
	s.post("/account/sessions/:id/end", loggedIn, noToken, s.endSessionForm)
	// Passkeys (passkeys.go): registered and removed from the account
	// page, used alone to log in and to sign.
	s.post("/account/passkeys/options", loggedIn, noToken, s.passkeyOptions)
	s.post("/account/passkeys", loggedIn, noToken, s.addPasskey)
	s.post("/account/passkeys/:id/remove", loggedIn, noToken, s.removePasskeyForm)
	s.post("/login/passkey/options", public, s.loginLimiter(), s.passkeyLoginOptions)
	s.post("/login/passkey", public, s.loginLimiter(), s.passkeyLogin)
	s.post("/account/passkeys/reauth", loggedIn, noToken, s.passkeySignOptions)
	// One's own second factor (second_factor.go); someone else's: HR and
	// administrators approve a waiting enrolment and confirm a removal an
	// administrator started.
	s.get("/account/second-factor", loggedIn, noToken, s.factorPage)
	s.post("/account/second-factor/start", loggedIn, noToken, s.startFactor)
	s.get("/account/second-factor/qr.png", loggedIn, noToken, s.factorQR)
	s.post("/account/second-factor/confirm", loggedIn, noToken, s.confirmFactor)
	s.post("/account/second-factor/email-code", loggedIn, noToken, s.resendApprovalCode)
	s.post("/account/second-factor/approve", loggedIn, noToken, s.approveByEmail)
	s.get("/people/:id/second-factor", hrStaff, noToken, s.personFactorPage)
	s.post("/people/:id/second-factor/approve", hrStaff, noToken, s.approvePersonFactor)
	s.post("/people/:id/second-factor/remove", admins, noToken, s.startFactorRemoval)
	s.post("/people/:id/second-factor/confirm-removal", hrStaff, noToken, s.confirmFactorRemoval)

	s.get("/people", directoryReaders, s.directoryPage)
	s.get("/admin/people", admins, s.peoplePage)
	s.get("/admin/people/new", admins, s.newPersonPage)
	s.post("/admin/people", admins, s.createPerson)
	s.get("/admin/people/:id", admins, s.personPage)
	s.post("/admin/people/:id/reset", admins, s.startReset)
	s.post("/admin/people/:id/unlock", admins, s.unlockPerson)
	s.post("/admin/people/:id/disable", admins, s.disablePerson)
	s.post("/admin/people/:id/enable", admins, s.enablePerson)
	s.post("/admin/people/:id/sso/unlink", admins, s.unlinkSSO)
	s.get("/admin/sso", admins, s.ssoAdminPage)
	s.form("/admin/sso", admins, s.ssoAdminPage, s.saveSSOSettings)
	// Webhooks (webhooks.go; the API's are in app/api).
	s.get("/admin/webhooks", admins, s.webhooksPage)
	s.form("/admin/webhooks", admins, s.webhooksPage, s.createWebhook)
	s.get("/admin/webhooks/:id", admins, s.webhookPage)
	s.form("/admin/webhooks/:id", admins, s.webhookPage, s.updateWebhook)
	s.post("/admin/webhooks/:id/rotate", admins, s.rotateWebhookSecret)
	s.post("/admin/webhooks/:id/delete", admins, s.deleteWebhook)
	s.form("/admin/webhooks/:id/deliveries/:delivery/resend", admins, s.webhookPage, s.resendWebhookDelivery)
	s.get("/admin/scim", admins, s.scimPage)
	s.post("/admin/scim/tokens", admins, noToken, s.createSCIMToken)
	s.post("/admin/scim/tokens/:id/revoke", admins, noToken, s.revokeSCIMToken)

	// People and their records: the object rule scopes every id.
	s.get("/clearance", loggedIn, s.clearancePage)
	s.get("/people/:id/hire-date", hrStaff, s.hireDatePage)
	s.form("/people/:id/hire-date", hrStaff, s.hireDatePage, s.changeHireDate)
	// Demographic fields for RAPIDS (demographics.go): HR and admins only,
	// every showing audited.
	s.get("/people/:id/demographics", hrStaff, s.demographicsPage)
	s.form("/people/:id/demographics", hrStaff, s.demographicsPage, s.saveDemographics)
	s.get("/people/:id/clearance", loggedIn, s.clearancePage)
	s.get("/people/:id/wage", loggedIn, s.wagePage)
	s.form("/people/:id/wage", wageApprovers, s.wagePage, s.approveWage)
	s.get("/people/:id/credentials", loggedIn, s.credentialsPage)
	s.upload("/people/:id/credentials", hrStaff, credentialFile, s.formOf(s.credentialsPage, s.addCredential))
	s.form("/people/:id/credentials/:rid/verify", hrStaff, s.credentialsPage, s.verifyCredential)
	s.get("/people/:id/credentials/:rid/file", loggedIn, s.credentialFile)
	s.form("/people/:id/enroll", directors, s.clearancePage, s.enroll)
	// Printed documents (documents.go): the record under the person's
	// object rule, a site's records for HR and directors.
	s.get("/people/:id/record.pdf", loggedIn, s.recordPDF)
	s.get("/sites/:id/records.zip", peopleReaders, s.siteRecordsZIP)
	s.get("/people/:id/move", directors, s.movePage)
	s.form("/people/:id/move", directors, s.movePage, s.move)

	// Reports: each report's page and .xlsx come from one definition
	// (app/reports, served by report_handlers.go); their rows are scoped to
	// who the caller may see.
	s.get("/reports", directoryReaders, s.reportsIndex)
	s.get(certificationsReport.Path, loggedIn, certificationsReport.page(s))
	s.get(certificationsReport.Path+".xlsx", loggedIn, certificationsReport.xlsx(s))
	s.get(clearancesReport.Path, loggedIn, clearancesReport.page(s))
	s.get(clearancesReport.Path+".xlsx", loggedIn, clearancesReport.xlsx(s))
	s.get(signOffsReport.Path, loggedIn, signOffsReport.page(s))
	s.get(signOffsReport.Path+".xlsx", loggedIn, signOffsReport.xlsx(s))
	s.get(evaluationsReport.Path, loggedIn, evaluationsReport.page(s))
	s.get(evaluationsReport.Path+".xlsx", loggedIn, evaluationsReport.xlsx(s))
	s.get(progressReport.Path, loggedIn, progressReport.page(s))
	s.get(progressReport.Path+".xlsx", loggedIn, progressReport.xlsx(s))
	s.get(hoursReport.Path, loggedIn, hoursReport.page(s))
	s.get(hoursReport.Path+".xlsx", loggedIn, hoursReport.xlsx(s))
	// The RAPIDS export (rapids.go): HR and admins only, as it holds
	// demographic fields; its downloads are audited.
	s.get(rapidsPath, hrStaff, s.rapidsPage)
	s.get(rapidsPath+".xlsx", hrStaff, s.rapidsExport("xlsx"))
	s.get(rapidsPath+".csv", hrStaff, s.rapidsExport("csv"))
	s.get(wagesReport.Path, wageApprovers, wagesReport.page(s))
	s.get(wagesReport.Path+".xlsx", wageApprovers, wagesReport.xlsx(s))
	s.get("/hr", hrStaff, s.hrDashboard)
	// The audit trail: organisation-wide, HR and admin only (audit_trail.go).
	s.get("/audit", hrStaff, s.auditPage)
	s.get("/audit.xlsx", hrStaff, s.auditExport("xlsx"))
	s.get("/audit.csv", hrStaff, s.auditExport("csv"))
	s.get("/hr/import", hrStaff, s.importPage)
	s.get("/hr/import/template.csv", hrStaff, s.importTemplate)
	s.get("/hr/import/template.xlsx", hrStaff, s.importTemplate)
	s.get("/hr/import/roster.csv", hrStaff, s.importRoster)
	s.get("/hr/import/roster.xlsx", hrStaff, s.importRoster)
	s.upload("/hr/import", hrStaff, importFile, s.importUpload)
	s.post("/hr/import/confirm", hrStaff, s.importConfirm)

	// Enrollments and evidence.
	s.get("/progress", loggedIn, s.myProgress)
	s.get("/submissions", loggedIn, s.submissionsPage)
	s.get("/enrollments/:id", loggedIn, s.enrollmentPage)
	s.get("/enrollments/:id/observe/:code", recorders, s.observeForm)
	s.post("/enrollments/:id/observe/:code", recorders, s.observe)
	s.get("/enrollments/:id/signoff/:code", recorders, s.signOffForm)
	s.post("/enrollments/:id/signoff/:code", recorders, s.signOff)
	s.form("/enrollments/:id/tests/:code", recorders, s.enrollmentPage, s.recordTest)
	// Self-logs and hours: the apprentice of the enrollment only (handler).
	s.form("/enrollments/:id/selflogs", loggedIn, s.enrollmentPage, s.logPerformance)
	s.form("/enrollments/:id/hours", loggedIn, s.enrollmentPage, s.logHours)
	s.get("/review", recorders, s.reviewPage)
	s.get("/sessions/new", recorders, s.sessionPage)
	s.post("/sessions", recorders, s.recordSession)
	s.form("/review/:kind/:id", recorders, s.reviewPage, s.review)
	s.get("/cohort", directors, s.cohortPage)
	s.get("/cohort/closest", directors, s.closestPage)
	s.get("/cohort/closest.xlsx", directors, s.closestXLSX)
	s.form("/enrollments/:id/status", directors, s.enrollmentPage, s.changeStatus)
	// Completion: the director's signature once every requirement is met
	// (completion.go), and its certificate.
	s.get("/enrollments/:id/complete", directors, s.completePage)
	s.form("/enrollments/:id/complete", directors, s.completePage, s.complete)
	s.get("/enrollments/:id/completion.pdf", loggedIn, s.completionPDF)
	// Historical paper evidence, typed in by directors and HR.
	s.get("/enrollments/:id/transcribe", transcribers, s.transcribePage)
	// Each may carry the scanned page (scanFile's limit).
	s.upload("/enrollments/:id/transcribe/observation", transcribers, scanFile, s.formOf(s.transcribePage, s.transcribeObservation))
	s.upload("/enrollments/:id/transcribe/selflog", transcribers, scanFile, s.formOf(s.transcribePage, s.transcribeSelfLog))
	s.upload("/enrollments/:id/transcribe/hours", transcribers, scanFile, s.formOf(s.transcribePage, s.transcribeHours))
	s.upload("/enrollments/:id/transcribe/test", transcribers, scanFile, s.formOf(s.transcribePage, s.transcribeTest))
	s.upload("/enrollments/:id/transcribe/signoff", transcribers, scanFile, s.formOf(s.transcribePage, s.transcribeSignOff))
	s.get("/enrollments/:id/scans/:rid", directoryReaders, s.scanFile)
	s.form("/enrollments/:id/signoffs/:so/revoke", directors, s.enrollmentPage, s.revoke)
	s.form("/enrollments/:id/paper-signoffs/:ps/revoke", directors, s.enrollmentPage, s.revokePaper)
	s.get("/enrollments/:id/signoffs/:so/certificate.pdf", loggedIn, s.certificatePDF)
	// Periodic evaluations: the mentor completes, the apprentice
	// acknowledges; the rules decide who may (evaluations.go).
	s.get("/enrollments/:id/evaluations/:n", loggedIn, s.evaluationPage)
	s.form("/enrollments/:id/evaluations/:n", recorders, s.evaluationPage, s.completeEvaluation)
	s.form("/enrollments/:id/evaluations/:n/acknowledge", loggedIn, s.evaluationPage, s.acknowledgeEvaluation)

	// Programs: published versions for everyone, drafts for designers.
	s.get("/programs", loggedIn, s.programsPage)
	s.upload("/programs/import", designers, programFile, s.importProgram)
	s.get("/programs/:id", loggedIn, s.programPage)
	s.post("/programs/:id/drafts", designers, s.startDraft)
	const version = "/programs/:id/v/:n"
	s.get(version, loggedIn, s.versionPage)
	s.get(version+"/export.yaml", loggedIn, s.exportVersion)
	s.get(version+"/checklists.pdf", loggedIn, s.checklistsPDF)
	s.post(version+"/publish", designers, s.publishVersion)
	s.post(version+"/discard", designers, s.discardDraft)
	s.get(version+"/move", directors, s.cohortMovePage)
	s.form(version+"/move", directors, s.cohortMovePage, s.cohortMove)
	s.get(version+"/competencies/:code/edit", designers, s.editCompetencyPage)
	s.post(version+"/competencies/:code", designers, s.saveCompetency)
	s.get(version+"/tasks/:code/edit", designers, s.editTaskPage)
	s.post(version+"/tasks/:code", designers, s.saveTask)
	s.get(version+"/wages/edit", designers, s.editWagesPage)
	s.form(version+"/wages", designers, s.editWagesPage, s.saveWages)
	s.form(version+"/competencies", designers, s.versionPage, s.addCompetency)
	s.form(version+"/tasks", designers, s.versionPage, s.addTask)
	s.post(version+"/competencies/:code/remove", designers, s.removeCompetency)
	s.post(version+"/tasks/:code/remove", designers, s.removeTask)
	s.get(version+"/evaluations/edit", designers, s.editEvaluationsPage)
	s.post(version+"/evaluations", designers, s.saveEvaluations)

	// The JSON API: its routes and policies are in app/api (api_mount.go).
	s.mountAPI()

	app.Use(s.notFound)
	return nil
}

// exportTimeout bounds a workbook export (the write timeout allows as long).
const exportTimeout = 5 * time.Minute

// requestContext gives every handler a context with a deadline, since
// fasthttp does not cancel one when the client goes away.
func (s *Server) requestContext(c *fiber.Ctx) error {
	limit := 60 * time.Second
	if strings.HasSuffix(c.Path(), ".xlsx") || strings.HasSuffix(c.Path(), ".zip") {
		// A whole-organisation workbook reads every record; on a busy
		// server that can pass a minute, and failing it then helps nobody.
		limit = exportTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}
