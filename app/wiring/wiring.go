// Package wiring builds Skillgate's services once, on one clock and one
// audit log: the server (server.New receives them), the background jobs
// and the tests that start a server all take them from New, so no part of
// the app builds a second evidence, clearance or reminders service of its
// own.
package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/clearance"
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
	"github.com/skillgate/skillgate/app/sso/groupmap"
	"github.com/skillgate/skillgate/app/wages"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/app/webhooks/lapses"
)

// Options are what New takes besides the database and the settings.
type Options struct {
	// Now is the clock (UTC); nil means time.Now. Tests pass a fake one.
	Now func() time.Time
	// Logger is the log; nil means slog.Default().
	Logger *slog.Logger
	// Mail sends reminder emails; nil means the SMTP server of
	// Config.SMTPURL, or in-app reminders only when that is empty.
	Mail reminders.Sender
}

// Services is the application: its settings, database, clock, log and
// every service, each built once.
type Services struct {
	Config config.Config
	DB     *db.DB
	Logger *slog.Logger
	// Now is the one clock every service reads (UTC).
	Now func() time.Time
	// Audit is the one audit log every store appends to, on Now.
	Audit    *audit.Log
	Accounts *accounts.Store
	// SSO is single sign-on's links, mapping and step-up (app/sso).
	SSO      *sso.Service
	Programs *programs.Store
	// Evidence writes enrollments and evidence; Evidence.Credentials is
	// the credential store.
	Evidence *evidence.Service
	// Documents keeps the issued PDFs' verification codes.
	Documents *documents.Store
	// Evaluations are the apprentices' periodic evaluations.
	Evaluations *evaluations.Store
	Clearance   *clearance.Service
	Reminders   *reminders.Service
	// Wages keeps apprentices' wage steps.
	Wages *wages.Service
	// Reports is what HR and auditors read (reports, the HR dashboard
	// and its cache, the audit trail's presentation).
	Reports *reports.Service
	// Mail sends email (reminders, password links); nil when no SMTP
	// server is configured.
	Mail reminders.Sender
	// SCIM provisions people and groups from an identity provider.
	SCIM *scim.Service
	// Outbox is where sign-offs, revocations, verifications and
	// deactivations write their webhook events; Webhooks keeps the
	// endpoints, Dispatcher delivers (started by serve).
	Outbox     *webhooks.Outbox
	Webhooks   *webhooks.Store
	Dispatcher *webhooks.Dispatcher
	// Lapses emits the lapse and expiry events once a day (started by serve).
	Lapses *lapses.Job
}

// New builds every service on d. It fails only when SKILLGATE_SSO_GROUP_MAP
// or SKILLGATE_WEBHOOK_ALLOW_HOSTS is malformed, or Config.SMTPURL is set
// and cannot be used.
func New(d *db.DB, cfg config.Config, o Options) (*Services, error) {
	s := &Services{Config: cfg, DB: d, Logger: o.Logger, Now: o.Now}
	if s.Now == nil {
		s.Now = func() time.Time { return time.Now().UTC() }
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	mail := o.Mail
	if mail == nil && cfg.SMTPURL != "" {
		m, err := reminders.NewSMTP(cfg.SMTPURL)
		if err != nil {
			return nil, fmt.Errorf("reminder email: %w", err)
		}
		mail = m
	}
	s.Mail = mail
	s.Audit = &audit.Log{Now: s.Now}
	guard, err := webhooks.NewGuard(cfg.WebhookAllowHosts)
	if err != nil {
		return nil, err
	}
	s.Outbox = &webhooks.Outbox{Now: s.Now}
	s.Dispatcher = &webhooks.Dispatcher{DB: d, Now: s.Now, Guard: guard, Log: s.Logger}

	s.Accounts = accounts.NewStore(d)
	s.Accounts.Now, s.Accounts.Audit, s.Accounts.Outbox = s.Now, s.Audit, s.Outbox
	s.Programs = programs.NewStore(d)
	s.Programs.Now, s.Programs.Audit = s.Now, s.Audit
	s.Evidence = evidence.NewService(d, s.Programs)
	s.Evidence.Now, s.Evidence.Store.Audit, s.Evidence.Store.Outbox = s.Now, s.Audit, s.Outbox
	s.Evidence.Credentials.Now, s.Evidence.Credentials.Audit, s.Evidence.Credentials.Outbox = s.Now, s.Audit, s.Outbox
	s.Webhooks = &webhooks.Store{DB: d, Now: s.Now, Audit: s.Audit, Guard: guard, SiteExists: func(ctx context.Context, id string) (bool, error) {
		sites, err := s.Accounts.Sites(ctx)
		return slices.ContainsFunc(sites, func(x accounts.Site) bool { return x.ID == id }), err
	}}
	s.Clearance = &clearance.Service{Evidence: s.Evidence}
	s.Outbox.Levels = s.Clearance.Levels(s.Now, cfg.Location())

	s.Documents = &documents.Store{DB: d, Audit: s.Audit, Now: s.Now}
	s.Evaluations = &evaluations.Store{DB: d, Audit: s.Audit, Now: s.Now, Enrollments: s.Evidence.Store}
	s.Reminders = &reminders.Service{DB: d, Accounts: s.Accounts, Clearance: s.Clearance, Mail: mail, Log: s.Logger,
		Now: s.Now, Location: cfg.Location(), Audit: s.Audit, Evaluations: s.Evaluations}
	groups, err := groupmap.Parse(cfg.SSOGroupMap)
	if err != nil {
		return nil, fmt.Errorf("SKILLGATE_SSO_GROUP_MAP: %w", err)
	}
	s.SSO = &sso.Service{DB: d, Accounts: s.Accounts, Audit: s.Audit, Now: s.Now, TrustEmail: cfg.SSOTrustEmail, Mapping: groups}
	// SCIM's groups mean what sign-in's do: the administrator's saved
	// mapping, or SKILLGATE_SSO_GROUP_MAP's until one is saved.
	s.SCIM = &scim.Service{DB: d, Accounts: s.Accounts, Audit: s.Audit, Now: s.Now, Log: s.Logger,
		GroupMap: func(ctx context.Context) (groupmap.Map, error) {
			set, err := s.SSO.Settings(ctx)
			return set.Mapping, err
		}}
	s.Lapses = &lapses.Job{DB: d, Accounts: s.Accounts, Clearance: s.Clearance, Credentials: s.Evidence.Credentials, Outbox: s.Outbox,
		Now: s.Now, Location: cfg.Location(), LeadDays: cfg.WebhookLeadDays}
	s.Wages = &wages.Service{DB: d, Audit: s.Audit, Clearance: s.Clearance, Now: s.Now, Location: cfg.Location()}
	s.Reminders.Wages = s.Wages
	s.Evaluations.Wages = s.Wages
	s.Reports = &reports.Service{DB: d, Accounts: s.Accounts, Evidence: s.Evidence, Clearance: s.Clearance, Wages: s.Wages,
		Now: s.Now, Location: cfg.Location(), Evaluations: s.Evaluations}
	return s, nil
}
