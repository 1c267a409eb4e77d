package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/config"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/wiring"
	"github.com/skillgate/skillgate/assessments"
	"github.com/skillgate/skillgate/errkind"
)

// The documented table (errkind's package doc, README "Errors"): every
// kind, its status, and whether its message reaches the user.
var wantKindStatus = []struct {
	kind   errkind.Kind
	status int
	shown  bool
}{
	{errkind.Malformed, 400, true},
	{errkind.Invalid, 422, true},
	{errkind.Unauthenticated, 401, true},
	{errkind.Forbidden, 403, true},
	{errkind.NotFound, 404, true},
	{errkind.Gone, 410, true},
	{errkind.Conflict, 409, true},
	{errkind.TooLarge, 413, true},
	{errkind.Unsupported, 415, true},
	{errkind.RateLimited, 429, true},
	{errkind.Unavailable, 503, false},
	{errkind.Integrity, 500, true},
	{errkind.Internal, 500, false},
}

// TestKindStatusTable sends an error of every kind through the server's
// error handler, as a page and as JSON, and checks the status, the
// message and the log.
func TestKindStatusTable(t *testing.T) {
	if len(wantKindStatus) != len(errkind.Kinds) {
		t.Fatalf("the table covers %d kinds, errkind has %d", len(wantKindStatus), len(errkind.Kinds))
	}
	for _, k := range errkind.Kinds {
		if _, ok := kindStatus[k]; !ok {
			t.Errorf("kind %s has no status in kindStatus", k)
		}
	}
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		cfg, _, err := config.Load(nil, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var logs strings.Builder
		svc, err := wiring.New(d, cfg, wiring.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(svc)
		if err != nil {
			t.Fatal(err)
		}
		// A bare app with the server's error handler: each route fails
		// with an error of the kind in its path, wrapped as handlers do.
		app := fiber.New(fiber.Config{ErrorHandler: srv.handleError})
		fail := func(c *fiber.Ctx) error {
			n, _ := strconv.Atoi(c.Params("kind"))
			k := errkind.Kind(n)
			return fmt.Errorf("handler context: %w", errkind.New(k, "message of kind "+k.String()))
		}
		app.Get("/api/v1/fail/:kind", fail)
		app.Get("/fail/:kind", fail)
		for _, w := range wantKindStatus {
			t.Run(w.kind.String(), func(t *testing.T) {
				if got := statusFor(w.kind); got != w.status {
					t.Errorf("statusFor(%s) = %d, want %d", w.kind, got, w.status)
				}
				msg := "message of kind " + w.kind.String()
				for _, path := range []string{"/api/v1/fail/", "/fail/"} {
					req := httptest.NewRequest("GET", path+strconv.Itoa(int(w.kind)), nil)
					if path == "/fail/" {
						req.Header.Set("Accept", "text/html")
					}
					res, err := app.Test(req, -1)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					body := string(b)
					if res.StatusCode != w.status {
						t.Errorf("%s: status %d, want %d", path, res.StatusCode, w.status)
					}
					if strings.Contains(body, msg) != w.shown {
						t.Errorf("%s: message shown = %v, want %v:\n%s", path, !w.shown, w.shown, body)
					}
					if strings.Contains(body, "handler context") {
						t.Errorf("%s: the wrapping context reached the user:\n%s", path, body)
					}
					if path == "/api/v1/fail/" {
						var out struct {
							Error struct {
								Status  int    `json:"status"`
								Message string `json:"message"`
							} `json:"error"`
						}
						if err := json.Unmarshal(b, &out); err != nil || out.Error.Status != w.status || out.Error.Message == "" {
							t.Errorf("JSON body %q: %v", body, err)
						}
					} else if !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
						t.Errorf("page answered %q", res.Header.Get("Content-Type"))
					}
					if w.status == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "" {
						t.Errorf("%s: 503 without Retry-After", path)
					}
				}
			})
		}
		// Faults of ours and integrity failures are logged with the detail.
		for _, want := range []string{"message of kind internal", "message of kind integrity", "message of kind unavailable"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q", want)
			}
		}
	})
}

// TestStatusOfDomainErrors checks that the rules' own error type, the
// credential store's field errors and wrapped sentinels all find their
// status through the one table.
func TestStatusOfDomainErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"assessments invalid", assessments.ErrInvalidHours, 422},
		{"assessments malformed", assessments.ErrInvalidIdempotencyKey, 400},
		{"assessments forbidden", assessments.ErrSelfSignOff, 403},
		{"assessments conflict", fmt.Errorf("sign off: %w", assessments.ErrAlreadySignedOff), 409},
		{"assessments integrity", assessments.ErrSignatureMismatch, 500},
		{"db not found joined", db.Translate(db.ErrNotFound), 404},
		{"plain error", fmt.Errorf("boom"), 500},
		{"nil-kind wrapper", fmt.Errorf("x: %w", io.EOF), 500},
	} {
		if got := statusOf(tc.err); got != tc.want {
			t.Errorf("%s: statusOf = %d, want %d", tc.name, got, tc.want)
		}
	}
}
