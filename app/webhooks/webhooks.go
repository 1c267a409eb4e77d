// Package webhooks pushes Skillgate's events to other systems (an EHR, HR):
// administrators register endpoints, changes write events into a
// transactional outbox, and a dispatcher delivers them, signed as the
// Standard Webhooks specification says.
//
// The outbox row is written by Outbox.Emit in the transaction of the
// change that causes it (a sign-off, a revocation, a verification, a
// deactivation), so an event exists exactly when its change committed.
// Emit also writes one delivery per matching endpoint. The Dispatcher
// delivers them after commit, at least once: per endpoint in event order
// (event n+1 waits while n is pending a retry), with exponential backoff
// and jitter for at least RetryFor (24 hours), then the delivery is marked
// failed and shown on the endpoint's page. Every instance may dispatch: a
// delivery is claimed under a lease (the endpoint row locked FOR UPDATE
// SKIP LOCKED on PostgreSQL; SQLite has one writer), so an event goes out
// once per endpoint at a time; a process that dies mid-delivery leaves a
// lease that expires, and the event goes again with the same webhook-id.
//
// Endpoints are refused when their host resolves to a loopback,
// link-local, private or metadata address unless SKILLGATE_WEBHOOK_ALLOW_HOSTS
// allows it, and each connection is checked again at dial time (DNS
// rebinding); redirects are not followed. Secrets are shown once and never
// logged.
//
// This package alone writes webhook_endpoints, webhook_events and
// webhook_deliveries; other packages call Emit with their transaction.
package webhooks

import (
	"slices"
	"strings"

	"github.com/skillgate/skillgate/errkind"
)

// Event types.
const (
	// ClearanceChanged: a person's level for a task changed (before, after,
	// the as-of day and the reasons).
	ClearanceChanged = "clearance.changed"
	// ClearanceLapsing: a clearance will lapse in a few days.
	ClearanceLapsing = "clearance.lapsing"
	// ClearanceLapsed: a clearance lapsed today (time alone changed it).
	ClearanceLapsed = "clearance.lapsed"
	// SignOffRecorded: a preceptor signed a competency off.
	SignOffRecorded = "signoff.recorded"
	// SignOffRevoked: a director revoked a sign-off.
	SignOffRevoked = "signoff.revoked"
	// CredentialExpiring: a credential expires in a few days.
	CredentialExpiring = "credential.expiring"
	// CredentialExpired: a credential's last valid day has passed.
	CredentialExpired = "credential.expired"
	// CredentialVerified: HR verified a credential at its source.
	CredentialVerified = "credential.verified"
	// PersonDeactivated: an account was disabled.
	PersonDeactivated = "person.deactivated"
)

// EventTypes lists every event type an endpoint may subscribe to.
var EventTypes = []string{ClearanceChanged, ClearanceLapsing, ClearanceLapsed, SignOffRecorded, SignOffRevoked,
	CredentialExpiring, CredentialExpired, CredentialVerified, PersonDeactivated}

// Errors a caller can cause besides db.ErrNotFound.
var (
	// ErrInvalid: the endpoint was refused; Fields says which input and why.
	ErrInvalid = errkind.New(errkind.Invalid, "The webhook endpoint was refused; correct the fields marked.")
	// ErrNotResendable: only a delivery that is not pending can be sent again.
	ErrNotResendable = errkind.New(errkind.Conflict, "This delivery is still pending; it will be retried by itself.")
)

func invalid(field, msg string) error { return ErrInvalid.WithField(field, msg) }

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func joinList(xs []string) string {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return strings.Join(slices.Compact(xs), ",")
}
