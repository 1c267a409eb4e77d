//go:build unix

package faults_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/webhooks"
	"github.com/skillgate/skillgate/curriculum"
)

// TestWebhookSurvivesAKill: the real server, a sign-off through the API,
// and a receiver that holds the delivery open; the server is killed
// (SIGKILL) after the event committed and while it is being delivered. The
// restarted server delivers it, with the same webhook-id, once the dead
// process's lease has ended (moved back in the database here, as a clock
// would), and the receiver accepts it exactly once.
func TestWebhookSurvivesAKill(t *testing.T) {
	bin := buildServer(t)
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			o := dbtest.Options(t, dialect)
			env := []string{"SKILLGATE_WEBHOOK_ALLOW_HOSTS=127.0.0.1"}
			if o.URL != "" {
				env = append(env, "SKILLGATE_DATABASE_URL="+o.URL)
			} else {
				env = append(env, "SKILLGATE_DATA_DIR="+filepath.Dir(o.SQLitePath))
			}
			webhookAfterKill(t, bin, o, env)
		})
	}
}

func webhookAfterKill(t *testing.T, bin string, o db.Options, env []string) {
	ctx := audit.WithActor(context.Background(), audit.System("test"))
	clients := seed(t, o, 1, 1)
	d, err := db.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	held := make(chan string, 1)
	accepted := make(chan string, 10)
	var secret string
	var taken atomic.Bool
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		if !webhooks.Verify(secret, r.Header.Get("webhook-signature"), id, ts, body) {
			t.Errorf("bad signature on %s", id)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !taken.Swap(true) { // hold the first delivery until its sender dies
			held <- id
			<-r.Context().Done()
			return
		}
		accepted <- id
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	g, _ := webhooks.NewGuard("127.0.0.1")
	store := &webhooks.Store{DB: d, Audit: audit.New(), Guard: g}
	ep, s, err := store.Create(ctx, webhooks.Input{URL: rc.URL + "/hook", Events: []string{webhooks.SignOffRecorded}, Enabled: true}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	secret = s

	srv := newServer(t, bin, env)
	srv.start(t)
	defer srv.stop(t)
	loc, _ := time.LoadLocation(zone)
	cl := clients[0]
	base := srv.base + "/api/v1/enrollments/" + cl.enrollmentIDs[0]
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 15 * time.Second, Transport: checked(t, nil)}
	var c counters
	obs, _ := json.Marshal(map[string]any{"idempotency_key": "hook-obs", "competency": competency, "performed_on": curriculum.DateOf(time.Now(), loc).String(),
		"steps": []map[string]any{{"index": 0, "met": true}, {"index": 1, "met": true}}})
	if st, _, msg := send(runCtx, hc, base+"/observations", cl.token, obs, &c); st != http.StatusCreated {
		t.Fatalf("observation: %d %s", st, msg)
	}
	so, _ := json.Marshal(map[string]any{"idempotency_key": "hook-sign", "competency": competency, "kind": curriculum.InitialSignOff, "password": signerPassword})
	if st, _, msg := send(runCtx, hc, base+"/signoffs", cl.token, so, &c); st != http.StatusCreated {
		t.Fatalf("sign-off: %d %s", st, msg)
	}

	var heldID string
	select {
	case heldID = <-held:
	case <-runCtx.Done():
		t.Fatalf("no delivery came:\n%s", srv.logTail())
	}
	srv.kill(t)

	ds, err := store.Deliveries(ctx, ep.ID, 10)
	if err != nil || len(ds) != 1 || ds[0].Status != webhooks.StatusPending || ds[0].EventID != heldID || ds[0].Attempts != 1 {
		t.Fatalf("after the kill: %+v %v", ds, err)
	}
	// The dead instance's lease (2 minutes) ends.
	if _, err := d.NewUpdate().Table("webhook_deliveries").Set("claimed_until = ?", time.Now().UTC().Add(-time.Minute)).Where("id = ?", ds[0].ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	srv.start(t)
	select {
	case id := <-accepted:
		if id != heldID {
			t.Fatalf("delivered %s, want %s (the same webhook-id)", id, heldID)
		}
	case <-runCtx.Done():
		t.Fatalf("the event was not delivered after the restart:\n%s", srv.logTail())
	}
	// The receiver has the event before the sender has its answer: wait
	// for the delivery to be recorded before stopping the server, whose
	// shutdown would otherwise cut that answer off (and leave the delivery
	// pending, to be sent again: at least once, never lost).
	for {
		ds, err := store.Deliveries(ctx, ep.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].Status == webhooks.StatusDelivered {
			if ds[0].Attempts != 2 {
				t.Fatalf("delivered after %d attempts, want 2", ds[0].Attempts)
			}
			break
		}
		if len(ds) != 1 || runCtx.Err() != nil {
			t.Fatalf("after the restart: %+v", ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.stop(t)
	if len(accepted) != 0 {
		t.Fatalf("delivered more than once: %d more", len(accepted))
	}
}
