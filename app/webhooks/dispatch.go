package webhooks

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Delivery limits.
const (
	// Timeout bounds one attempt, from connecting to the last byte read.
	Timeout = 10 * time.Second
	// BodyLimit is how much of a receiver's answer is read (and thrown
	// away); a receiver cannot make the dispatcher read more.
	BodyLimit = 64 << 10
	// RetryFor is how long a delivery is retried before it is marked
	// failed.
	RetryFor = 24 * time.Hour
	// firstBackoff and maxBackoff bound the wait between attempts, which
	// doubles from the first to the longest.
	firstBackoff = 10 * time.Second
	maxBackoff   = time.Hour
	// lease is how long a claimed delivery is left to the instance that
	// claimed it; longer than an attempt can take.
	lease = 2 * time.Minute
	// workers is how many endpoints one instance delivers to at once.
	workers = 8
)

// Dispatcher delivers the outbox's events. Run it on every instance.
type Dispatcher struct {
	DB bun.IDB
	// Now is the clock (UTC); nil means time.Now.
	Now func() time.Time
	// Client sends the requests; nil means Guard.Client(Timeout).
	Client *http.Client
	// Guard builds the default Client.
	Guard *Guard
	// Log records failed attempts (never a secret or a payload).
	Log *slog.Logger
	// Jitter returns a number in [0, 1) that spreads retries; nil means
	// random. Tests pass a constant.
	Jitter func() float64

	once sync.Once
}

func (d *Dispatcher) now() time.Time {
	if d.Now == nil {
		return time.Now().UTC()
	}
	return d.Now().UTC().Truncate(time.Microsecond)
}

func (d *Dispatcher) client() *http.Client {
	d.once.Do(func() {
		if d.Client == nil {
			d.Client = d.Guard.Client(Timeout)
		}
		if d.Log == nil {
			d.Log = slog.Default()
		}
	})
	return d.Client
}

// Backoff is the wait after the given failed attempt (1 for the first):
// doubling from 10 seconds to an hour, the second half of it random.
func Backoff(attempt int, jitter float64) time.Duration {
	b := firstBackoff
	for i := 1; i < attempt && b < maxBackoff; i++ {
		b *= 2
	}
	b = min(b, maxBackoff)
	return b/2 + time.Duration(jitter*float64(b/2))
}

// Run delivers until ctx ends, looking for due deliveries every interval
// (and at once after a busy round). When ctx ends, the attempts in flight
// finish (each within Timeout) and are recorded before Run returns; no new
// one starts.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	for {
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.Warn("webhooks: dispatch", "error", err)
		}
		wait := interval
		if n > 0 {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Drain runs RunOnce until it finds nothing due (tests, and measurements).
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := d.RunOnce(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// RunOnce makes one pass: for every endpoint with a due delivery, it
// delivers that endpoint's pending deliveries in event order until one
// fails (it then waits for its retry) or none is left. It returns the
// number of attempts made.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	d.client()
	now := d.now()
	var ids []string
	err := d.DB.NewSelect().TableExpr("webhook_deliveries AS d").ColumnExpr("DISTINCT d.endpoint_id").
		Join("JOIN webhook_endpoints AS ep ON ep.id = d.endpoint_id").
		Where("d.status = ? AND d.next_attempt_at <= ? AND ep.enabled = ?", StatusPending, now, true).Scan(ctx, &ids)
	if err != nil {
		return 0, fmt.Errorf("webhooks: due endpoints: %w", err)
	}
	var (
		mu    sync.Mutex
		total int
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, workers)
	)
	for _, id := range ids {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			n, err := d.endpoint(ctx, id)
			mu.Lock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, errors.Join(errs...)
}

// claim is a delivery taken by this instance, with what sending it needs.
type claim struct {
	row     deliveryRow
	url     string
	secrets []string
	msgID   string
	body    []byte
}

// endpoint delivers one endpoint's pending deliveries in order.
func (d *Dispatcher) endpoint(ctx context.Context, id string) (int, error) {
	n := 0
	var done *attempt
	for {
		// An attempt's outcome and the next claim share a transaction:
		// one commit per delivery.
		c, err := d.claim(ctx, id, done)
		if err != nil || c == nil {
			return n, err
		}
		n++
		code, sendErr := d.send(ctx, c)
		done = &attempt{c: c, code: code, err: sendErr}
	}
}

// attempt is a delivery attempt's outcome, to record.
type attempt struct {
	c    *claim
	code int
	err  error
}

// claim takes the endpoint's first pending delivery, if it is due and
// nobody holds it: the endpoint row is locked while looking (PostgreSQL;
// SQLite serialises writers), and the claim is a lease that ends by
// itself should this instance die.
//
// done, when set, is the previous attempt, recorded first in the same
// transaction; after a failed attempt nothing more is claimed.
func (d *Dispatcher) claim(ctx context.Context, endpointID string, done *attempt) (*claim, error) {
	var c *claim
	stopping := ctx.Err() != nil
	if stopping {
		if done == nil {
			return nil, nil
		}
		// Shutting down: record the outcome whatever happens to ctx, and
		// claim nothing more.
		ctx = context.WithoutCancel(ctx)
	}
	err := d.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if done != nil {
			if err := d.record(ctx, tx, done); err != nil {
				return err
			}
			if done.err != nil || stopping {
				return nil
			}
		}
		now := d.now()
		var ep endpointRow
		q := tx.NewSelect().Model(&ep).Where("id = ? AND enabled = ?", endpointID, true)
		if tx.Dialect().Name() == dialect.PG {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil // another instance is at it, or it was disabled
			}
			return err
		}
		var head deliveryRow
		err := tx.NewSelect().Model(&head).Where("endpoint_id = ? AND status = ?", endpointID, StatusPending).
			OrderExpr("event_seq").Limit(1).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		// Event order: the first pending delivery goes first, even when it
		// waits for its retry or another instance holds it.
		if head.NextAttemptAt.After(now) || (head.ClaimedUntil != nil && head.ClaimedUntil.After(now)) {
			return nil
		}
		var ev eventRow
		if err := tx.NewSelect().Model(&ev).Where("seq = ?", head.EventSeq).Scan(ctx); err != nil {
			return err
		}
		until := now.Add(lease)
		head.Attempts++
		head.ClaimedUntil = &until
		if _, err := tx.NewUpdate().Model(&head).Column("attempts", "claimed_until").WherePK().Exec(ctx); err != nil {
			return err
		}
		c = &claim{row: head, url: ep.URL, secrets: ep.secrets(now), msgID: ev.ID, body: []byte(ev.Payload)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: claim for endpoint %s: %w", endpointID, err)
	}
	return c, nil
}

// send makes one attempt and returns the response code (0: none). The
// attempt is not cut when ctx ends (a shutdown): it runs to its answer or
// its Timeout, so its outcome is the receiver's, never the shutdown's, and
// is recorded as such (claim), with nothing more claimed after it.
func (d *Dispatcher) send(ctx context.Context, c *claim) (int, error) {
	ts := d.now().Unix()
	sig, err := Sign(c.secrets, c.msgID, ts, c.body)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(c.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Skillgate-Webhooks/1")
	req.Header.Set("webhook-id", c.msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.client().Do(req)
	if err != nil {
		// The URL (which may hold a receiver's token) stays out of the
		// recorded error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, BodyLimit))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return resp.StatusCode, nil
}

// record stores an attempt's outcome in tx.
func (d *Dispatcher) record(ctx context.Context, tx bun.Tx, a *attempt) error {
	c, code, sendErr := a.c, a.code, a.err
	now := d.now()
	q := tx.NewUpdate().Model((*deliveryRow)(nil)).Set("claimed_until = NULL").Set("last_attempt_at = ?", now).
		Set("response_code = ?", code).Where("id = ?", c.row.ID)
	if sendErr == nil {
		q.Set("status = ?", StatusDelivered).Set("delivered_at = ?", now).Set("last_error = ''")
	} else {
		msg := sendErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		q.Set("last_error = ?", msg)
		jitter := rand.Float64()
		if d.Jitter != nil {
			jitter = d.Jitter()
		}
		if now.Sub(c.row.RetrySince) >= RetryFor {
			q.Set("status = ?", StatusFailed)
		} else {
			q.Set("next_attempt_at = ?", now.Add(Backoff(c.row.Attempts, jitter)))
		}
		d.Log.Warn("webhooks: delivery failed", "delivery", c.row.ID, "endpoint", c.row.EndpointID, "attempt", c.row.Attempts,
			"code", code, "error", msg)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("webhooks: record attempt of %s: %w", c.row.ID, err)
	}
	return nil
}
