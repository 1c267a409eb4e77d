// Package scim is Skillgate's SCIM 2.0 service provider (RFC 7643/7644):
// an identity provider (Entra ID, Okta) creates, updates and deactivates
// people and puts them in groups, and the SSO group mapping turns those
// groups into roles and sites. The protocol (routing, schemas, filters,
// PATCH validation, discovery documents) is github.com/elimity-com/scim;
// this package holds its resource handlers over the accounts store, the
// IdP's bearer tokens, and the tables of provisioned people and groups
// (migration 0023).
//
// People stay app/accounts': a SCIM write calls its store inside one
// transaction with this package's own rows and the audit entries, which
// name the token that made the change (Actor).
package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/sso/groupmap"
)

func init() {
	// Entra ID sends booleans as strings ("active": "False") in PATCH
	// operations; the library accepts them only with this switch, which is
	// process-wide (this package is its only user).
	schema.SetAllowStringValues(true)
}

// MaxResults is the most resources one list response holds.
const MaxResults = 100

// Service provisions people and groups. Set every field.
type Service struct {
	DB       *db.DB
	Accounts *accounts.Store
	Audit    *audit.Log
	Now      func() time.Time
	Log      *slog.Logger
	// GroupMap returns the SSO group mapping in force (read per change, so
	// an admin's edit applies to the next one).
	GroupMap func(context.Context) (groupmap.Map, error)
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// Handler returns the SCIM endpoints as an http.Handler that expects paths
// starting with /v2 (the caller strips its own prefix). baseURL is the
// absolute URL of /scim/v2, for the resources' meta.location. The caller
// authenticates the request and puts the token's audit actor into its
// context (Actor).
func (s *Service) Handler(baseURL string) (http.Handler, error) {
	users, groups := &userHandler{s: s}, &groupHandler{s: s}
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{
			DocumentationURI: optional.NewString("https://github.com/skillgate/skillgate#scim-provisioning"),
			AuthenticationSchemes: []scim.AuthenticationScheme{{
				Type: scim.AuthenticationTypeOauthBearerToken, Name: "Bearer token",
				Description: "A SCIM token an administrator created in Skillgate, sent as Authorization: Bearer sgscim_…", Primary: true,
			}},
			MaxResults: MaxResults, SupportFiltering: true, SupportPatch: true,
		},
		ResourceTypes: []scim.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
				Description: optional.NewString("A person with a Skillgate account; userName is their email address."),
				Schema:      schema.CoreUserSchema(),
				// Entra ID sends the enterprise extension with every user.
				SchemaExtensions: []scim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          users,
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
				Description: optional.NewString("An identity provider group; its displayName maps to roles and sites through the SSO group mapping."),
				Schema:      schema.CoreGroupSchema(),
				Handler:     groups,
			},
		},
	}, scim.WithBaseURL(baseURL), scim.WithLogger(libLogger{s.Log}))
	if err != nil {
		return nil, fmt.Errorf("scim server: %w", err)
	}
	return srv, nil
}

// libLogger passes the library's errors to slog.
type libLogger struct{ l *slog.Logger }

func (l libLogger) Error(args ...any) { l.l.Error("scim", args...) }

// fail turns an error into the SCIM error the library sends: its own
// errors as they are, ours by kind, and anything else as a bare 500 whose
// text stays in the log (the library would send err.Error() to the IdP).
func (s *Service) fail(ctx context.Context, err error) error {
	var se scimerrors.ScimError
	err = db.Translate(err)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se
	case errors.Is(err, db.ErrNotFound):
		return scimerrors.ScimError{Status: http.StatusNotFound, Detail: "No such resource."}
	case errors.Is(err, db.ErrConflict):
		return scimerrors.ScimErrorUniqueness
	case errors.Is(err, db.ErrUnavailable):
		return scimerrors.ScimError{Status: http.StatusServiceUnavailable, Detail: "The database cannot serve now; retry later."}
	}
	s.Log.ErrorContext(ctx, "scim request failed", "err", err)
	return scimerrors.ScimErrorInternal
}

// badValue is a 400 invalidValue with a detail for the IdP's log.
func badValue(detail string) error {
	e := scimerrors.ScimErrorInvalidValue
	e.Detail = detail
	return e
}

// inTx runs fn in one transaction with the accounts store bound to it.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx, acc *accounts.Store) error) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx, s.Accounts.WithTx(tx)) })
}
