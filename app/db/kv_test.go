package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// Add stores a key once until it expires, then again.
func TestKVAdd(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		kv := db.NewKV(d)
		now := time.Unix(1_800_000_000, 0)
		kv.Now = func() time.Time { return now }
		if ok, err := kv.Add("once:a", []byte("1"), now.Add(time.Minute)); !ok || err != nil {
			t.Fatalf("first add: %v %v", ok, err)
		}
		if ok, err := kv.Add("once:a", []byte("2"), now.Add(time.Minute)); ok || err != nil {
			t.Fatalf("second add: %v %v", ok, err)
		}
		if ok, err := kv.Add("once:forever", []byte("k"), time.Time{}); !ok || err != nil {
			t.Fatalf("add without expiry: %v %v", ok, err)
		}
		now = now.Add(time.Hour)
		if ok, _ := kv.Add("once:forever", []byte("k2"), time.Time{}); ok {
			t.Fatal("a key without expiry was replaced")
		}
		if ok, err := kv.Add("once:a", []byte("3"), now.Add(time.Minute)); !ok || err != nil {
			t.Fatalf("add after expiry: %v %v", ok, err)
		}
		if v, _ := kv.Get("once:a"); string(v) != "3" {
			t.Fatalf("value %q", v)
		}
	})
}

// Incr counts per key within a window, starts again once the window has
// ended, and loses no count when many callers hit one key at once (as
// several instances sharing the database do).
func TestKVIncr(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		kv := db.NewKV(d)
		now := time.Unix(1_800_000_000, 0)
		kv.Now = func() time.Time { return now }
		for i := int64(1); i <= 3; i++ {
			n, until, err := kv.Incr("rate:a", time.Minute)
			if err != nil || n != i || !until.Equal(now.Add(time.Minute)) {
				t.Fatalf("hit %d: %d until %v, %v", i, n, until, err)
			}
		}
		if n, _, err := kv.Incr("rate:b", time.Minute); err != nil || n != 1 {
			t.Fatalf("another key: %d %v", n, err)
		}
		now = now.Add(59 * time.Second)
		if n, _, _ := kv.Incr("rate:a", time.Minute); n != 4 {
			t.Fatalf("within the window: %d, want 4", n)
		}
		now = now.Add(time.Second)
		n, until, err := kv.Incr("rate:a", time.Minute)
		if err != nil || n != 1 || !until.Equal(now.Add(time.Minute)) {
			t.Fatalf("after the window: %d until %v, %v", n, until, err)
		}
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := kv.Incr("rate:c", time.Minute); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n, _, _ := kv.Incr("rate:c", time.Minute); n != 21 {
			t.Fatalf("20 concurrent hits then one: %d, want 21", n)
		}
	})
}
