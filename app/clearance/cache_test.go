package clearance

import (
	"fmt"
	"testing"
	"time"

	"github.com/skillgate/skillgate/curriculum"
)

// cacheCount counts the entries kept for day.
func cacheCount(c *decisionCache, day curriculum.Date) int {
	n := 0
	for k := range c.current {
		if k.asOf == day {
			n++
		}
	}
	for k := range c.other {
		if k.asOf == day {
			n++
		}
	}
	return n
}

func person(i int) string { return fmt.Sprintf("p%05d", i) }

// Questions about past days, however many, never push out today's
// decisions of the whole organisation, even when the organisation is
// larger than the configured size: the past days have their own small
// part.
func TestCachePastDaysLeaveTodayAlone(t *testing.T) {
	today := curriculum.NewDate(2026, time.December, 6)
	sizes := cacheSizes{current: 100, other: 20}
	var c decisionCache
	for i := range 150 {
		c.put(cacheKey{person(i), today}, cacheEntry{stamp: 1}, today, sizes)
	}
	if got := cacheCount(&c, today); got != 150 {
		t.Fatalf("today's decisions kept: %d of 150 (the organisation must fit)", got)
	}
	for d := 2; d < 400; d++ {
		c.put(cacheKey{person(d % 150), today.AddDays(-d)}, cacheEntry{stamp: 1}, today, sizes)
	}
	if got := cacheCount(&c, today); got != 150 {
		t.Errorf("after 398 past-day answers, today's decisions kept: %d of 150", got)
	}
	if len(c.other) > 20 {
		t.Errorf("past days kept: %d, bound 20", len(c.other))
	}
	for i := range 150 {
		if _, ok := c.get(cacheKey{person(i), today}); !ok {
			t.Fatalf("%s's decisions of today are gone", person(i))
		}
	}
	if _, ok := c.get(cacheKey{person(399 % 150), today.AddDays(-399)}); !ok {
		t.Errorf("the latest past-day answer is not kept")
	}
}

// When the current days' part is full, the other current days'
// decisions make room for today's, and are not added while today's fill
// it; today's are all kept beyond the configured size (one a person),
// and lose a tenth only at maxTodayCache.
func TestCacheTodayComesFirst(t *testing.T) {
	today := curriculum.NewDate(2026, time.December, 6)
	yesterday, tomorrow := today.AddDays(-1), today.AddDays(1)
	sizes := cacheSizes{current: 100, other: 10}
	var c decisionCache
	for i := range 60 {
		c.put(cacheKey{person(i), yesterday}, cacheEntry{stamp: 1}, today, sizes)
	}
	if got := cacheCount(&c, yesterday); got != 60 {
		t.Fatalf("yesterday's decisions kept: %d of 60", got)
	}
	for i := range 100 {
		c.put(cacheKey{person(i), today}, cacheEntry{stamp: 1}, today, sizes)
	}
	if got := cacheCount(&c, today); got != 100 {
		t.Errorf("today's decisions kept: %d of 100", got)
	}
	if got := cacheCount(&c, yesterday); got != 0 {
		t.Errorf("yesterday's decisions kept: %d, want none (today's needed the room)", got)
	}
	c.put(cacheKey{person(1), tomorrow}, cacheEntry{stamp: 1}, today, sizes)
	if got := cacheCount(&c, tomorrow); got != 0 {
		t.Errorf("tomorrow's decision kept in a part full of today's")
	}
	for i := 100; i < maxTodayCache; i++ {
		c.put(cacheKey{person(i), today}, cacheEntry{stamp: 1}, today, sizes)
	}
	if got := cacheCount(&c, today); got != maxTodayCache {
		t.Fatalf("today's decisions kept: %d of %d (the organisation's day must fit)", got, maxTodayCache)
	}
	c.put(cacheKey{person(maxTodayCache), today}, cacheEntry{stamp: 1}, today, sizes)
	if got, want := cacheCount(&c, today), maxTodayCache-maxTodayCache/10+1; got != want || c.nToday != want {
		t.Errorf("today's decisions beyond the limit: %d (counted %d), want %d (a tenth dropped)", got, c.nToday, want)
	}
}

// When the clock's day moves on, the day before yesterday leaves the
// current part at once, and the decisions of the new current days are
// kept beside yesterday's.
func TestCacheDayMovesOn(t *testing.T) {
	day := curriculum.NewDate(2026, time.December, 6)
	sizes := cacheSizes{current: 100, other: 10}
	var c decisionCache
	for i := range 40 {
		c.put(cacheKey{person(i), day}, cacheEntry{stamp: 1}, day, sizes)
	}
	next := day.AddDays(1)
	for i := range 40 {
		c.put(cacheKey{person(i), next}, cacheEntry{stamp: 1}, next, sizes)
	}
	if a, b := cacheCount(&c, day), cacheCount(&c, next); a != 40 || b != 40 {
		t.Errorf("after midnight: %d of yesterday's and %d of today's kept, want 40 and 40", a, b)
	}
	after := next.AddDays(2)
	c.put(cacheKey{person(0), after}, cacheEntry{stamp: 1}, after, sizes)
	if got := len(c.current); got != 1 {
		t.Errorf("two days later the current part holds %d, want only the new day's one", got)
	}
}

// A slower request coming back with an older stamp does not replace the
// newer answer, in either part, and a newer one replaces an older one
// without dropping anything.
func TestCacheKeepsTheNewerStamp(t *testing.T) {
	today := curriculum.NewDate(2026, time.December, 6)
	sizes := cacheSizes{current: 10, other: 10}
	for _, day := range []curriculum.Date{today, today.AddDays(-30)} {
		var c decisionCache
		for i := range 10 {
			c.put(cacheKey{person(i), day}, cacheEntry{stamp: 5}, today, sizes)
		}
		k := cacheKey{person(3), day}
		c.put(k, cacheEntry{stamp: 4}, today, sizes)
		if e, _ := c.get(k); e.stamp != 5 {
			t.Errorf("%s: stamp %d after an older answer, want 5", day, e.stamp)
		}
		c.put(k, cacheEntry{stamp: 6}, today, sizes)
		if e, _ := c.get(k); e.stamp != 6 {
			t.Errorf("%s: stamp %d after a newer answer, want 6", day, e.stamp)
		}
		if got := cacheCount(&c, day); got != 10 {
			t.Errorf("%s: %d kept after replacing one, want 10", day, got)
		}
	}
}

// A negative size turns the cache off; a negative size for other days
// keeps only the current days.
func TestCacheOff(t *testing.T) {
	today := curriculum.NewDate(2026, time.December, 6)
	var c decisionCache
	c.put(cacheKey{person(1), today}, cacheEntry{stamp: 1}, today, cacheSizes{current: -1})
	if _, ok := c.get(cacheKey{person(1), today}); ok {
		t.Error("kept with the cache off")
	}
	c.put(cacheKey{person(1), today}, cacheEntry{stamp: 1}, today, cacheSizes{other: -1})
	c.put(cacheKey{person(1), today.AddDays(-9)}, cacheEntry{stamp: 1}, today, cacheSizes{other: -1})
	if _, ok := c.get(cacheKey{person(1), today}); !ok {
		t.Error("today's not kept with other days off")
	}
	if _, ok := c.get(cacheKey{person(1), today.AddDays(-9)}); ok {
		t.Error("a past day kept with other days off")
	}
}
