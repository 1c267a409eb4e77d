package server

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/errkind"
)

// Rate limits. Each is a fixed window of one minute per key:
//
//	what                          key            default   counted
//	login and password-link posts client IP      20/min    in the database
//	anonymous requests (incl.     client IP      300/min   in the database
//	  rejected API tokens)
//	writes (not GET/HEAD)         account        600/min   in the database   SKILLGATE_WRITE_RATE_LIMIT
//	writes                        client IP      5 × the per-account limit (a clinic shares an address)
//	/api/v1 requests              account        120,000/min per instance     SKILLGATE_API_RATE_LIMIT
//	/verify/<code> (documents)    client IP      30/min    in the database
//
// Counters in the database (db.KV.Incr, one statement) are shared by every
// instance. The API limit is the exception, counted in this process's
// memory: an EHR may ask for clearance 1,000 times a second with one token,
// and a database write per read would double the database work of the
// hottest path (and, on SQLite, queue every read behind the single
// writer). It is a brake on runaway scripts, not a security boundary;
// with N instances the ceiling is N times the setting. Over a limit the
// answer is 429 with Retry-After and a message saying which limit.

const (
	rateWindow     = time.Minute
	loginPerIP     = 20
	anonymousPerIP = 300
	writesIPFactor = 5
	// verifyPerIP bounds lookups of printed documents' codes: enough for a
	// surveyor checking a stack of certificates, far too few to try codes
	// (which are 128 random bits anyway).
	verifyPerIP = 30
)

// counter counts hits of a key in the current window and says how long
// the window has to run.
type counter interface {
	incr(key string) (n int64, resetIn time.Duration, err error)
}

// sharedCounter counts in the database, across instances.
type sharedCounter struct{ s *Server }

func (sc sharedCounter) incr(key string) (int64, time.Duration, error) {
	n, until, err := sc.s.kv.Incr("rate:"+key, rateWindow)
	return n, until.Sub(sc.s.kv.Now()), err
}

// memoryCounter counts in this process (see the comment above for why the
// API limit may).
type memoryCounter struct {
	now     func() time.Time
	mu      sync.Mutex
	windows map[string]*memWindow
	swept   time.Time
}

type memWindow struct {
	n     int64
	until time.Time
}

func newMemoryCounter(now func() time.Time) *memoryCounter {
	return &memoryCounter{now: now, windows: map[string]*memWindow{}}
}

func (m *memoryCounter) incr(key string) (int64, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.swept) > rateWindow {
		for k, w := range m.windows {
			if !now.Before(w.until) {
				delete(m.windows, k)
			}
		}
		m.swept = now
	}
	w := m.windows[key]
	if w == nil || !now.Before(w.until) {
		w = &memWindow{until: now.Add(rateWindow)}
		m.windows[key] = w
	}
	w.n++
	return w.n, w.until.Sub(now), nil
}

// limit is one rate limit: at most max hits per window for a key.
type limit struct {
	counter counter
	max     int
	// tooMany is the message when it is reached (Retry-After is added).
	tooMany string
}

// hit counts one request under key and returns a 429 error when the
// limit is exceeded. A limit of 0 counts nothing.
func (s *Server) hit(c *fiber.Ctx, l limit, key string) error {
	if l.max <= 0 {
		return nil
	}
	n, resetIn, err := l.counter.incr(key)
	if err != nil {
		return err
	}
	if n <= int64(l.max) {
		return nil
	}
	wait := max(1, int(resetIn.Round(time.Second).Seconds()))
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(wait))
	return errkind.New(errkind.RateLimited, fmt.Sprintf("%s Wait %d seconds and try again.", l.tooMany, wait))
}

// rateLimits are the server's limits, built once from the configuration.
type rateLimits struct {
	login, anonymous, writes, writesPerIP, api, verify limit
}

func (s *Server) newRateLimits() rateLimits {
	shared := sharedCounter{s}
	return rateLimits{
		login: limit{shared, loginPerIP, "Too many attempts from this network."},
		anonymous: limit{shared, anonymousPerIP, fmt.Sprintf(
			"Too many requests from this network without logging in (at most %d a minute).", anonymousPerIP)},
		writes: limit{shared, s.cfg.WriteRateLimit, fmt.Sprintf(
			"Too many changes from your account (at most %d a minute).", s.cfg.WriteRateLimit)},
		writesPerIP: limit{shared, s.cfg.WriteRateLimit * writesIPFactor, fmt.Sprintf(
			"Too many changes from this network (at most %d a minute).", s.cfg.WriteRateLimit*writesIPFactor)},
		verify: limit{shared, verifyPerIP, "Too many documents checked from this network."},
		api: limit{newMemoryCounter(s.now), s.cfg.APIRateLimit, fmt.Sprintf(
			"Too many API requests from your account (at most %d a minute).", s.cfg.APIRateLimit)},
	}
}

// limitRequests applies the limits after authentication: anonymous
// requests per IP, and for an account its API requests and its writes
// (per account and per IP).
func (s *Server) limitRequests(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		if err := s.hit(c, s.limits.anonymous, "anon-ip:"+clientIP(c)); err != nil {
			return err
		}
		return c.Next()
	}
	if isAPI(c) {
		if err := s.hit(c, s.limits.api, "api:"+u.ID); err != nil {
			return err
		}
	}
	if m := c.Method(); m != fiber.MethodGet && m != fiber.MethodHead {
		if err := s.hit(c, s.limits.writes, "writes:"+u.ID); err != nil {
			return err
		}
		if err := s.hit(c, s.limits.writesPerIP, "writes-ip:"+clientIP(c)); err != nil {
			return err
		}
	}
	return c.Next()
}

// loginLimiter caps login and password-link attempts per client IP
// (shared by all instances), on top of the per-account lockout.
func (s *Server) loginLimiter() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.hit(c, s.limits.login, "login-ip:"+clientIP(c)); err != nil {
			return err
		}
		return c.Next()
	}
}
