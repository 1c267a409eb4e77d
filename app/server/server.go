// Package server is Skillgate's HTTP layer: Fiber routes, middleware,
// templates and the JSON API. Handlers are thin: parse, authorise, call the
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
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/evidence"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/app/reminders"
)

// Server holds what the handlers need.
type Server struct {
	cfg       config.Config
	db        *db.DB
	accounts  *accounts.Store
	programs  *programs.Store
	evidence  *evidence.Service
	clearance *clearance.Service
	reminders *reminders.Service
	kv        *db.KV
	log       *slog.Logger
	views     *views
	now       func() time.Time
	app       *fiber.App
}

// Deps are the server's collaborators.
type Deps struct {
	Config   config.Config
	DB       *db.DB
	Accounts *accounts.Store
	Programs *programs.Store
	// Evidence is optional; by default it is built on DB and Programs.
	Evidence *evidence.Service
	Logger   *slog.Logger
	// Now is the clock (UTC); nil means time.Now.
	Now func() time.Time
}

// New builds the Fiber application with every route.
func New(d Deps) (*Server, error) {
	v, err := loadViews()
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	s := &Server{cfg: d.Config, db: d.DB, accounts: d.Accounts, programs: d.Programs, kv: db.NewKV(d.DB), log: d.Logger, views: v, now: d.Now}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	if s.programs == nil {
		s.programs = programs.NewStore(d.DB)
	}
	s.evidence = d.Evidence
	if s.evidence == nil {
		s.evidence = evidence.NewService(d.DB, s.programs)
		s.evidence.Now = s.now
		s.evidence.Credentials.Now = s.now
	}
	s.clearance = &clearance.Service{Evidence: s.evidence}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.reminders = &reminders.Service{DB: d.DB, Accounts: d.Accounts, Clearance: s.clearance, Log: s.log, Now: s.now, Location: d.Config.Location()}
	app := fiber.New(fiber.Config{
		AppName:                 "skillgate",
		Immutable:               true, // see the package comment
		DisableStartupMessage:   true,
		ErrorHandler:            s.handleError,
		BodyLimit:               10 << 20,
		ReadTimeout:             30 * time.Second,
		WriteTimeout:            5 * time.Minute, // exports stream for a while
		IdleTimeout:             2 * time.Minute,
		ProxyHeader:             proxyHeader(d.Config),
		EnableTrustedProxyCheck: len(d.Config.TrustedProxies) > 0,
		TrustedProxies:          d.Config.TrustedProxies,
	})
	s.app = app
	app.Use(s.requestID, s.accessLog, recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	app.Use(s.securityHeaders, s.requestContext)
	s.routes()
	return s, nil
}

func proxyHeader(c config.Config) string {
	if len(c.TrustedProxies) > 0 {
		return fiber.HeaderXForwardedFor
	}
	return ""
}

// Clearance returns the clearance service the server uses.
func (s *Server) Clearance() *clearance.Service { return s.clearance }

// App returns the Fiber application (tests drive it with app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Shutdown stops accepting connections and waits up to timeout for
// in-flight requests to finish.
func (s *Server) Shutdown(timeout time.Duration) error { return s.app.ShutdownWithTimeout(timeout) }

func (s *Server) routes() {
	app := s.app
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	s.static()

	app.Use(s.authenticate, s.csrf())

	app.Get("/login", s.loginPage)
	app.Post("/login", s.loginLimiter(), s.login)
	app.Post("/logout", s.logout)
	app.Get("/reset/:token", s.resetPage)
	app.Post("/reset/:token", s.loginLimiter(), s.reset)

	app.Get("/", s.requireLogin, s.home)
	app.Get("/notifications", s.requireLogin, s.notificationsPage)
	app.Post("/notifications/read", s.requireLogin, s.markRead)
	app.Post("/account/calendar", s.requireLogin, s.newCalendar)
	app.Post("/account/calendar/revoke", s.requireLogin, s.revokeCalendar)
	app.Get("/calendar/:token", s.calendarFeed)
	app.Get("/account", s.requireLogin, s.accountPage)
	app.Post("/account/password", s.requireLogin, s.changePassword)
	app.Post("/account/tokens", s.requireLogin, s.createTokenForm)
	app.Post("/account/tokens/:id/revoke", s.requireLogin, s.revokeTokenForm)

	admin := app.Group("/admin", s.requireLogin, s.requireRole(accounts.RoleAdmin))
	admin.Get("/people", s.peoplePage)
	admin.Get("/people/new", s.newPersonPage)
	admin.Post("/people", s.createPerson)
	admin.Get("/people/:id", s.personPage)
	admin.Post("/people/:id/reset", s.startReset)
	admin.Post("/people/:id/unlock", s.unlockPerson)
	admin.Post("/people/:id/disable", s.disablePerson)
	admin.Post("/people/:id/enable", s.enablePerson)

	app.Get("/clearance", s.requireLogin, s.clearancePage)
	app.Get("/people/:id/clearance", s.requireLogin, s.clearancePage)
	hr := s.requireRole(accounts.RoleHR, accounts.RoleAdmin)
	// Each report's page and .xlsx come from one definition (report_handlers.go).
	app.Get(certificationsReport.Path, s.requireLogin, certificationsReport.page(s))
	app.Get(certificationsReport.Path+".xlsx", s.requireLogin, certificationsReport.xlsx(s))
	app.Get(clearancesReport.Path, s.requireLogin, clearancesReport.page(s))
	app.Get(clearancesReport.Path+".xlsx", s.requireLogin, clearancesReport.xlsx(s))
	app.Get(signOffsReport.Path, s.requireLogin, signOffsReport.page(s))
	app.Get(signOffsReport.Path+".xlsx", s.requireLogin, signOffsReport.xlsx(s))
	app.Get(progressReport.Path, s.requireLogin, progressReport.page(s))
	app.Get(progressReport.Path+".xlsx", s.requireLogin, progressReport.xlsx(s))
	app.Get(hoursReport.Path, s.requireLogin, hoursReport.page(s))
	app.Get(hoursReport.Path+".xlsx", s.requireLogin, hoursReport.xlsx(s))
	app.Get("/hr", s.requireLogin, hr, s.hrDashboard)
	app.Get("/hr/import", s.requireLogin, hr, s.importPage)
	app.Get("/hr/import/template.csv", s.requireLogin, hr, s.importTemplate)
	app.Get("/hr/import/template.xlsx", s.requireLogin, hr, s.importTemplate)
	app.Post("/hr/import", s.requireLogin, hr, s.importUpload)
	app.Post("/hr/import/confirm", s.requireLogin, hr, s.importConfirm)
	app.Get("/people/:id/credentials", s.requireLogin, s.credentialsPage)
	app.Post("/people/:id/credentials", s.requireLogin, hr, s.addCredential)
	app.Post("/people/:id/credentials/:rid/verify", s.requireLogin, hr, s.verifyCredential)
	app.Get("/people/:id/credentials/:rid/file", s.requireLogin, s.credentialFile)
	app.Post("/people/:id/enroll", s.requireLogin, s.requireRole(accounts.RoleDirector), s.enroll)
	app.Get("/people/:id/move", s.requireLogin, s.requireRole(accounts.RoleDirector), s.movePage)
	app.Post("/people/:id/move", s.requireLogin, s.requireRole(accounts.RoleDirector), s.move)

	app.Get("/progress", s.requireLogin, s.myProgress)
	app.Get("/enrollments/:id", s.requireLogin, s.enrollmentPage)
	recorder := s.requireRole(accounts.RolePreceptor, accounts.RoleDirector)
	app.Get("/enrollments/:id/observe/:code", s.requireLogin, recorder, s.observeForm)
	app.Post("/enrollments/:id/observe/:code", s.requireLogin, recorder, s.observe)
	app.Get("/enrollments/:id/signoff/:code", s.requireLogin, recorder, s.signOffForm)
	app.Post("/enrollments/:id/signoff/:code", s.requireLogin, recorder, s.signOff)

	app.Post("/enrollments/:id/tests/:code", s.requireLogin, recorder, s.recordTest)
	app.Post("/enrollments/:id/selflogs", s.requireLogin, s.logPerformance)
	app.Post("/enrollments/:id/hours", s.requireLogin, s.logHours)
	app.Get("/review", s.requireLogin, recorder, s.reviewPage)
	app.Get("/cohort", s.requireLogin, s.requireRole(accounts.RoleDirector), s.cohortPage)
	app.Post("/enrollments/:id/status", s.requireLogin, s.requireRole(accounts.RoleDirector), s.changeStatus)
	app.Post("/enrollments/:id/signoffs/:so/revoke", s.requireLogin, s.requireRole(accounts.RoleDirector), s.revoke)
	app.Post("/review/:kind/:id", s.requireLogin, recorder, s.review)

	app.Get("/programs", s.requireLogin, s.programsPage)
	app.Post("/programs/import", s.requireLogin, s.requireRole(accounts.RoleDirector, accounts.RoleAdmin), s.importProgram)
	app.Get("/programs/:id", s.requireLogin, s.programPage)
	app.Post("/programs/:id/drafts", s.requireLogin, s.requireRole(accounts.RoleDirector, accounts.RoleAdmin), s.startDraft)
	version := app.Group("/programs/:id/v/:n", s.requireLogin)
	version.Get("/", s.versionPage)
	version.Get("/export.yaml", s.exportVersion)
	// Per route, not a sub-group: a group with the same prefix would put
	// the role check in front of the read-only pages too.
	designer := s.requireRole(accounts.RoleDirector, accounts.RoleAdmin)
	version.Post("/publish", designer, s.publishVersion)
	version.Post("/discard", designer, s.discardDraft)
	version.Get("/competencies/:code/edit", designer, s.editCompetencyPage)
	version.Post("/competencies/:code", designer, s.saveCompetency)
	version.Get("/tasks/:code/edit", designer, s.editTaskPage)
	version.Post("/tasks/:code", designer, s.saveTask)
	version.Post("/competencies", designer, s.addCompetency)
	version.Post("/tasks", designer, s.addTask)
	version.Post("/competencies/:code/remove", designer, s.removeCompetency)
	version.Post("/tasks/:code/remove", designer, s.removeTask)

	api := app.Group("/api/v1")
	api.Get("/openapi.json", s.openAPI)
	api.Get("/me", s.requireLogin, s.apiMe)
	api.Get("/tokens", s.requireLogin, s.apiListTokens)
	api.Post("/tokens", s.requireLogin, s.apiCreateToken)
	api.Delete("/tokens/:id", s.requireLogin, s.apiRevokeToken)
	api.Get("/clearances", s.requireLogin, s.apiClearances)
	api.Get("/enrollments", s.requireLogin, s.apiEnrollments)
	api.Post("/enrollments", s.requireLogin, s.requireRole(accounts.RoleDirector), s.apiEnroll)
	api.Get("/enrollments/:id/evidence", s.requireLogin, s.apiEvidence)
	api.Post("/enrollments/:id/status", s.requireLogin, s.requireRole(accounts.RoleDirector), s.changeStatus)
	api.Post("/enrollments/:id/observations", s.requireLogin, recorder, s.apiObserve)
	api.Post("/enrollments/:id/signoffs", s.requireLogin, recorder, s.apiSignOff)
	api.Post("/enrollments/:id/signoffs/:so/revocations", s.requireLogin, s.requireRole(accounts.RoleDirector), s.apiRevoke)
	api.Post("/enrollments/:id/selflogs", s.requireLogin, s.apiSelfLog)
	api.Post("/enrollments/:id/hours", s.requireLogin, s.apiLogHours)
	api.Get("/reviews", s.requireLogin, recorder, s.apiPending)
	api.Post("/reviews/:kind/:id", s.requireLogin, recorder, s.apiReview)
	api.Get("/programs", s.requireLogin, s.apiListPrograms)
	api.Get("/programs/:id/versions/:n", s.requireLogin, s.apiProgramVersion)
	api.Get("/people/:id/credentials", s.requireLogin, s.apiCredentials)
	api.Post("/people/:id/credentials", s.requireLogin, s.requireRole(accounts.RoleHR, accounts.RoleAdmin), s.apiAddCredential)
	api.Get("/people", s.requireLogin, s.requireRole(accounts.RoleAdmin, accounts.RoleHR, accounts.RoleDirector), s.apiListPeople)

	app.Use(s.notFound)
}

// requestContext gives every handler a context with a deadline, since
// fasthttp does not cancel one when the client goes away.
func (s *Server) requestContext(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}
