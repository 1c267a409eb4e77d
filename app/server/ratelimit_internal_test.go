package server

import (
	"testing"
	"time"
)

// The in-memory counter (the API limit) starts a new window once one has
// ended, forgets old keys, and tells how long the window has to run.
func TestMemoryCounterWindows(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := newMemoryCounter(func() time.Time { return now })
	for i := int64(1); i <= 3; i++ {
		if n, reset, _ := m.incr("a"); n != i || reset != time.Minute {
			t.Fatalf("hit %d: %d, resets in %v", i, n, reset)
		}
	}
	now = now.Add(45 * time.Second)
	if n, reset, _ := m.incr("a"); n != 4 || reset != 15*time.Second {
		t.Fatalf("later in the window: %d, resets in %v", n, reset)
	}
	m.incr("b")
	now = now.Add(2 * time.Minute)
	if n, _, _ := m.incr("a"); n != 1 {
		t.Fatalf("after the window: %d, want 1", n)
	}
	if _, ok := m.windows["b"]; ok || len(m.windows) != 1 {
		t.Fatalf("ended windows are kept: %v", m.windows)
	}
}

// BenchmarkMemoryCounterOneToken is the API limit's cost per request when
// one token calls from many goroutines at once (the EHR case).
func BenchmarkMemoryCounterOneToken(b *testing.B) {
	m := newMemoryCounter(time.Now)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.incr("api:ehr")
		}
	})
}
