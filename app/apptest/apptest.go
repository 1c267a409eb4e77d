// Package apptest runs the real program (app.Run) in-process for a test,
// on a loopback port, and stops it when the test ends. Tests of the
// command line, the browser journeys and the benchmark's clients start
// it through here.
package apptest

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app"
	"github.com/skillgate/skillgate/app/db"
)

// Output collects what the program writes, from several goroutines.
type Output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// String is everything written so far.
func (o *Output) String() string { o.mu.Lock(); defer o.mu.Unlock(); return o.b.String() }

// Instance is the program serving.
type Instance struct {
	// Base is its URL, http://127.0.0.1:port.
	Base string
	// Out holds its standard output and error together.
	Out *Output

	cancel context.CancelFunc
	done   chan int
}

// DBEnv is the environment that points the program at the database of o
// (a PostgreSQL URL, or the directory of a SQLite file named as the
// program names its own).
func DBEnv(o db.Options) map[string]string {
	if o.URL != "" {
		return map[string]string{"SKILLGATE_DATABASE_URL": o.URL}
	}
	return map[string]string{"SKILLGATE_DATA_DIR": filepath.Dir(o.SQLitePath)}
}

// Start runs the program with args, reading only env (over a free
// loopback port and a 5 s shutdown), and returns once it accepts
// connections. It fails the test if the program exits first; the
// program is stopped when the test ends.
func Start(t testing.TB, env map[string]string, args ...string) *Instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &Instance{Out: &Output{}, cancel: cancel, done: make(chan int, 1)}
	ready := make(chan string, 1)
	vars := map[string]string{"SKILLGATE_ADDR": "127.0.0.1:0", "SKILLGATE_SHUTDOWN_TIMEOUT": "5s"}
	for k, v := range env {
		vars[k] = v
	}
	go func() {
		in.done <- app.Run(ctx, app.Env{Args: args, Getenv: func(k string) string { return vars[k] },
			Stdout: in.Out, Stderr: in.Out, Ready: func(a string) { ready <- a }})
	}()
	select {
	case a := <-ready:
		in.Base = "http://" + a
	case code := <-in.done:
		cancel()
		t.Fatalf("skillgate exited with %d before serving:\n%s", code, in.Out)
	// A guard against a hang, not a speed check: seeding the demo with
	// real password hashing under the race detector on a busy machine has
	// taken more than a minute.
	case <-time.After(5 * time.Minute):
		cancel()
		t.Fatalf("skillgate did not start:\n%s", in.Out)
	}
	t.Cleanup(func() { in.Stop(t) })
	return in
}

// Stop stops the program as a signal would and returns its exit code;
// stopping it again returns the same code.
func (in *Instance) Stop(t testing.TB) int {
	t.Helper()
	in.cancel()
	select {
	case code := <-in.done:
		in.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Errorf("skillgate did not shut down:\n%s", in.Out)
	}
	return -1
}
