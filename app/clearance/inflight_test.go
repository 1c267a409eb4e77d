package clearance_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/skillgate/skillgate/app/clearance"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/curriculum"
	"github.com/skillgate/skillgate/internal/tools/scale"
)

// TestConcurrentDecidersShareOneRead: a cohort view asking for people the
// start-up run is deciding at that moment waits for that run's reads
// instead of reading the same evidence again, and both get the uncached
// engine's decisions. A waiter that gives up leaves the run to finish for
// the others; when the run itself is cancelled, the waiter decides alone.
func TestConcurrentDecidersShareOneRead(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		today := curriculum.MustParseDate("2026-06-15")
		ids, base, hook := generated(t, d, scale.Options{Sites: 1, MAs: 10, Preceptors: 2, Observations: 300, Credentials: 20, Seed: 9, AsOf: today})
		want, err := base.ForPeople(ctx, ids, today)
		if err != nil {
			t.Fatal(err)
		}
		same := func(who string, got map[string]*clearance.Decided) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: decided for %d people, want %d", who, len(got), len(want))
			}
			for id, w := range want {
				ds, err := got[id].Decisions()
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(ds, w.Decisions) {
					t.Fatalf("%s: %s's decisions differ from the uncached engine's", who, id)
				}
			}
		}
		// One decider alone, on an empty cache: the statements a cold view
		// runs.
		hook.n.Store(0)
		alone, err := (&clearance.Service{Evidence: base.Evidence}).DecideMany(ctx, ids, today)
		if err != nil {
			t.Fatal(err)
		}
		same("alone", alone)
		solo := hook.n.Load()

		type answer struct {
			got map[string]*clearance.Decided
			err error
		}
		// race starts first (the start-up run, say) on a fresh service and
		// holds its first evidence read until second (a view) waits for
		// it; during asks first's context can be cancelled through cancelFirst
		// and second's through cancelSecond.
		race := func(first, second func(context.Context, *clearance.Service) answer, during func(cancelFirst, cancelSecond func())) (answer, answer, int64) {
			t.Helper()
			svc := &clearance.Service{Evidence: base.Evidence}
			held, release := make(chan struct{}), make(chan struct{})
			var holding atomic.Bool
			hook.before = func(q string) {
				if !strings.Contains(q, "decision_stamps") && holding.CompareAndSwap(false, true) {
					close(held)
					<-release
				}
			}
			defer func() { hook.before = nil }()
			waiting := make(chan struct{})
			clearance.OnWaiting(svc, func() { close(waiting) })
			ctx1, cancel1 := context.WithCancel(ctx)
			defer cancel1()
			ctx2, cancel2 := context.WithCancel(ctx)
			defer cancel2()
			hook.n.Store(0)
			var a, b answer
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); a = first(ctx1, svc) }()
			<-held
			secondDone := make(chan struct{})
			go func() { defer wg.Done(); defer close(secondDone); b = second(ctx2, svc) }()
			select {
			case <-waiting:
			case <-secondDone:
				t.Error("the second decider did not wait for the first's decisions in flight")
			}
			during(cancel1, cancel2)
			close(release)
			wg.Wait()
			return a, b, hook.n.Load()
		}
		view := func(ctx context.Context, svc *clearance.Service) answer {
			got, err := svc.DecideMany(ctx, ids, today)
			return answer{got, err}
		}
		startUp := func(ctx context.Context, svc *clearance.Service) answer {
			if _, err := svc.ForPeopleCaching(ctx, ids, today); err != nil {
				return answer{nil, err}
			}
			got, err := svc.DecideMany(ctx, ids, today)
			return answer{got, err}
		}

		// Two views at once: the second reads only the stamps.
		a, b, n := race(view, view, func(_, _ func()) {})
		if a.err != nil || b.err != nil {
			t.Fatal(a.err, b.err)
		}
		same("first view", a.got)
		same("second view", b.got)
		if n != solo+1 {
			t.Fatalf("two concurrent views ran %d statements; want %d (one view's %d and the second's stamps)", n, solo+1, solo)
		}

		// The start-up run and a view: the view waits for the run.
		a, b, _ = race(startUp, view, func(_, _ func()) {})
		if a.err != nil || b.err != nil {
			t.Fatal(a.err, b.err)
		}
		same("start-up run", a.got)
		same("view during the start-up run", b.got)

		// A waiter that gives up: it answers its cancellation, the first
		// finishes with no extra read.
		a, b, n = race(view, view, func(_, cancelSecond func()) { cancelSecond() })
		if a.err != nil {
			t.Fatalf("the first decider failed when a waiter gave up: %v", a.err)
		}
		same("first view", a.got)
		if b.err == nil {
			t.Fatal("the cancelled waiter answered")
		}
		if n != solo+1 {
			t.Fatalf("ran %d statements; want %d", n, solo+1)
		}

		// The first decider cancelled: the waiter decides for itself.
		a, b, _ = race(view, view, func(cancelFirst, _ func()) { cancelFirst() })
		if a.err == nil {
			t.Fatal("the cancelled first decider answered")
		}
		if b.err != nil {
			t.Fatalf("the waiter failed with the first decider: %v", b.err)
		}
		same("waiter of a cancelled decider", b.got)
	})
}
