package webhooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
)

// RotationOverlap is how long a rotated-out secret still signs deliveries.
const RotationOverlap = 24 * time.Hour

// MaxDescription bounds an endpoint's description.
const MaxDescription = 500

// Audit actions recorded by this package (never with a secret).
const (
	ActionCreate = "webhook.create"
	ActionUpdate = "webhook.update"
	ActionRotate = "webhook.rotate_secret"
	ActionDelete = "webhook.delete"
	ActionResend = "webhook.resend"
)

type endpointRow struct {
	bun.BaseModel       `bun:"table:webhook_endpoints"`
	ID                  string     `bun:"id,pk"`
	URL                 string     `bun:"url"`
	Description         string     `bun:"description"`
	Events              string     `bun:"events"`
	SiteIDs             string     `bun:"site_ids"`
	Enabled             bool       `bun:"enabled"`
	Secret              string     `bun:"secret"`
	PreviousSecret      string     `bun:"previous_secret"`
	PreviousSecretUntil *time.Time `bun:"previous_secret_until"`
	CreatedBy           string     `bun:"created_by"`
	CreatedAt           time.Time  `bun:"created_at"`
	UpdatedAt           time.Time  `bun:"updated_at"`
}

// Endpoint is a registered receiver, without its secret.
type Endpoint struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Events      []string  `json:"events"`
	SiteIDs     []string  `json:"site_ids"`
	Enabled     bool      `json:"enabled"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// PreviousSecretUntil is when the secret replaced by the last
	// rotation stops signing; nil when there is none.
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
}

func (r *endpointRow) endpoint() Endpoint {
	return Endpoint{ID: r.ID, URL: r.URL, Description: r.Description, Events: splitList(r.Events), SiteIDs: splitList(r.SiteIDs),
		Enabled: r.Enabled, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, PreviousSecretUntil: r.PreviousSecretUntil}
}

// secrets returns the secrets that sign at now: the current one, and the
// previous one during a rotation's overlap.
func (r *endpointRow) secrets(now time.Time) []string {
	s := []string{r.Secret}
	if r.PreviousSecret != "" && r.PreviousSecretUntil != nil && now.Before(*r.PreviousSecretUntil) {
		s = append(s, r.PreviousSecret)
	}
	return s
}

// view is an endpoint as the audit trail records it (no secret).
func (r *endpointRow) view() map[string]any {
	return map[string]any{"url": r.URL, "description": r.Description, "events": splitList(r.Events), "site_ids": splitList(r.SiteIDs), "enabled": r.Enabled}
}

// Input is what an administrator submits for an endpoint.
type Input struct {
	URL         string
	Description string
	Events      []string
	// SiteIDs limits the endpoint to events about these sites; empty is
	// every site.
	SiteIDs []string
	Enabled bool
}

// Store keeps endpoints and shows their deliveries.
type Store struct {
	DB bun.IDB
	// Now is the clock (UTC); nil means time.Now.
	Now func() time.Time
	// Audit records every change of an endpoint, in its transaction.
	Audit *audit.Log
	// Guard checks endpoint URLs (SSRF); nil allows only public addresses.
	Guard *Guard
	// SiteExists says whether a site id is known (nil: any id is).
	SiteExists func(ctx context.Context, id string) (bool, error)
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC().Truncate(time.Microsecond)
}

func (s *Store) check(ctx context.Context, in *Input) error {
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > MaxDescription {
		return invalid("description", fmt.Sprintf("The description is too long (at most %d characters).", MaxDescription))
	}
	if len(in.Events) == 0 {
		return invalid("events", "Choose at least one event.")
	}
	for _, e := range in.Events {
		if !slices.Contains(EventTypes, e) {
			return invalid("events", fmt.Sprintf("%q is not an event; use %s.", e, strings.Join(EventTypes, ", ")))
		}
	}
	for _, id := range in.SiteIDs {
		if s.SiteExists == nil {
			continue
		}
		ok, err := s.SiteExists(ctx, id)
		if err != nil {
			return err
		}
		if !ok || strings.Contains(id, ",") {
			return invalid("site_ids", fmt.Sprintf("%q is not a site.", id))
		}
	}
	return s.Guard.CheckURL(ctx, in.URL)
}

// Create registers an endpoint and returns it with its signing secret,
// which is shown this once.
func (s *Store) Create(ctx context.Context, in Input, by string) (Endpoint, string, error) {
	if err := s.check(ctx, &in); err != nil {
		return Endpoint{}, "", err
	}
	now := s.now()
	row := endpointRow{ID: uuid.Must(uuid.NewV7()).String(), URL: in.URL, Description: in.Description, Events: joinList(in.Events),
		SiteIDs: joinList(in.SiteIDs), Enabled: in.Enabled, Secret: NewSecret(), CreatedBy: by, CreatedAt: now, UpdatedAt: now}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionCreate, EntityType: "webhook", EntityID: row.ID, After: row.view()})
	})
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("create webhook: %w", db.Translate(err))
	}
	return row.endpoint(), row.Secret, nil
}

// Update replaces an endpoint's settings.
func (s *Store) Update(ctx context.Context, id string, in Input) (Endpoint, error) {
	if err := s.check(ctx, &in); err != nil {
		return Endpoint{}, err
	}
	var row endpointRow
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
			return err
		}
		before := row.view()
		row.URL, row.Description, row.Events, row.SiteIDs, row.Enabled = in.URL, in.Description, joinList(in.Events), joinList(in.SiteIDs), in.Enabled
		row.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(&row).Column("url", "description", "events", "site_ids", "enabled", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionUpdate, EntityType: "webhook", EntityID: id, Before: before, After: row.view()})
	})
	if err != nil {
		return Endpoint{}, fmt.Errorf("update webhook %s: %w", id, db.Translate(err))
	}
	return row.endpoint(), nil
}

// RotateSecret gives the endpoint a new secret, returned this once; the
// old one keeps signing for RotationOverlap, so the receiver can switch
// without losing a delivery.
func (s *Store) RotateSecret(ctx context.Context, id string) (Endpoint, string, error) {
	var row endpointRow
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
			return err
		}
		now := s.now()
		until := now.Add(RotationOverlap)
		row.PreviousSecret, row.PreviousSecretUntil, row.Secret, row.UpdatedAt = row.Secret, &until, NewSecret(), now
		if _, err := tx.NewUpdate().Model(&row).Column("secret", "previous_secret", "previous_secret_until", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionRotate, EntityType: "webhook", EntityID: id,
			After: map[string]any{"previous_secret_until": until}})
	})
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("rotate webhook secret %s: %w", id, db.Translate(err))
	}
	return row.endpoint(), row.Secret, nil
}

// Delete removes an endpoint and its deliveries.
func (s *Store) Delete(ctx context.Context, id string) error {
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var row endpointRow
		if err := tx.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*deliveryRow)(nil)).Where("endpoint_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&row).WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionDelete, EntityType: "webhook", EntityID: id, Before: row.view()})
	})
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, db.Translate(err))
	}
	return nil
}

// Get returns one endpoint (db.ErrNotFound when there is none).
func (s *Store) Get(ctx context.Context, id string) (Endpoint, error) {
	var row endpointRow
	if err := s.DB.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return Endpoint{}, fmt.Errorf("webhook %s: %w", id, db.Translate(err))
	}
	return row.endpoint(), nil
}

// List returns every endpoint, oldest first.
func (s *Store) List(ctx context.Context) ([]Endpoint, error) {
	var rows []endpointRow
	if err := s.DB.NewSelect().Model(&rows).OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("webhooks: %w", db.Translate(err))
	}
	out := make([]Endpoint, len(rows))
	for i := range rows {
		out[i] = rows[i].endpoint()
	}
	return out, nil
}

// Delivery is one event's delivery to one endpoint, as its page shows it.
type Delivery struct {
	ID         string `json:"id"`
	EndpointID string `json:"endpoint_id"`
	// EventID is the webhook-id header, the same on every attempt.
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	Sequence  int64     `json:"sequence"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
	// LastAttemptAt, ResponseCode (0: no answer) and LastError describe
	// the latest attempt.
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	ResponseCode  int        `json:"response_code"`
	LastError     string     `json:"last_error"`
	// NextAttemptAt is set while the delivery is pending.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

type deliveryView struct {
	deliveryRow `bun:",extend"`
	EventID     string    `bun:"event_id,scanonly"`
	EventType   string    `bun:"event_type,scanonly"`
	OccurredAt  time.Time `bun:"occurred_at,scanonly"`
}

// Deliveries returns an endpoint's latest deliveries, newest event first
// (db.ErrNotFound when there is no such endpoint).
func (s *Store) Deliveries(ctx context.Context, endpointID string, limit int) ([]Delivery, error) {
	if _, err := s.Get(ctx, endpointID); err != nil {
		return nil, err
	}
	var rows []deliveryView
	err := s.DB.NewSelect().Model(&rows).ColumnExpr("d.*").ColumnExpr("e.id AS event_id, e.type AS event_type, e.occurred_at AS occurred_at").
		ModelTableExpr("webhook_deliveries AS d").Join("JOIN webhook_events AS e ON e.seq = d.event_seq").
		Where("d.endpoint_id = ?", endpointID).OrderExpr("d.event_seq DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries: %w", db.Translate(err))
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		d := Delivery{ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, EventType: r.EventType, Sequence: r.EventSeq, Status: r.Status,
			Attempts: r.Attempts, CreatedAt: r.OccurredAt, LastAttemptAt: r.LastAttemptAt, ResponseCode: r.ResponseCode, LastError: r.LastError,
			DeliveredAt: r.DeliveredAt}
		if r.Status == StatusPending {
			next := r.NextAttemptAt
			d.NextAttemptAt = &next
		}
		out[i] = d
	}
	return out, nil
}

// Resend sends a delivered or failed delivery again, with the same
// webhook-id, and retries it for RetryFor from now. It goes out in its
// event's place: the endpoint's later events wait for it.
func (s *Store) Resend(ctx context.Context, endpointID, deliveryID string) error {
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var row deliveryRow
		if err := tx.NewSelect().Model(&row).Where("id = ? AND endpoint_id = ?", deliveryID, endpointID).Scan(ctx); err != nil {
			return err
		}
		if row.Status == StatusPending {
			return ErrNotResendable
		}
		now := s.now()
		if _, err := tx.NewUpdate().Model((*deliveryRow)(nil)).Set("status = ?", StatusPending).Set("next_attempt_at = ?", now).
			Set("retry_since = ?", now).Set("claimed_until = NULL").Where("id = ?", deliveryID).Exec(ctx); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionResend, EntityType: "webhook", EntityID: endpointID,
			Before: map[string]any{"delivery_id": deliveryID, "status": row.Status}, After: map[string]any{"delivery_id": deliveryID, "status": StatusPending}})
	})
	if err != nil {
		return fmt.Errorf("resend webhook delivery %s: %w", deliveryID, db.Translate(err))
	}
	return nil
}
