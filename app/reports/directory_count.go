package reports

import (
	"slices"
	"strings"
	"sync"
)

// How many people a directory filter matches, kept between pages.
//
// Counting every match costs a visit to every person the reader may see
// (44,000 at twice the bench size: more than the page itself, which reads
// 50 rows in name order), and the total is the same on every page and
// sort of the same filter until someone is added, removed, or given other
// roles or sites. Those writes move the 'people' change stamp (migration
// 0030: users inserted or deleted, user_roles, user_sites, sites), so a
// count filed under the stamp the page was read with stays exact while
// the stamp stands still, on every instance. Only filters that read
// nothing else are kept: a search also matches emails and employee ids,
// whose changes do not move that stamp, and the program and status
// filters read enrollments; those are counted on every page.

// dirCountLimit bounds how many filters are kept at once (readers with
// different sites, a role or site filter each).
const dirCountLimit = 256

// dirCounts holds the counts kept under one 'people' stamp.
type dirCounts struct {
	mu    sync.Mutex
	stamp int64
	n     map[string]int
}

// get returns the count kept for key under stamp, if any.
func (c *dirCounts) get(stamp int64, key string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil || c.stamp != stamp {
		return 0, false
	}
	n, ok := c.n[key]
	return n, ok
}

// put keeps n for key under stamp; a count under another stamp replaces
// everything kept (the people changed, or the count is a late one from
// before the change: either way the next page counts again).
func (c *dirCounts) put(stamp int64, key string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil || c.stamp != stamp || len(c.n) >= dirCountLimit {
		c.stamp, c.n = stamp, map[string]int{}
	}
	c.n[key] = n
}

// directoryCountKey names what sc and f count, and whether that count
// depends only on what the 'people' stamp covers.
func directoryCountKey(sc DirectoryScope, f DirectoryFilter) (string, bool) {
	if sc.ApprenticesOnly || strings.TrimSpace(f.Query) != "" || f.ProgramID != "" || f.Status != "" {
		return "", false
	}
	scope := "all"
	if !sc.All {
		ids := slices.Clone(sc.SiteIDs)
		slices.Sort(ids)
		scope = strings.Join(slices.Compact(ids), ",")
	}
	return scope + "\x00" + string(f.Role) + "\x00" + f.SiteID, true
}
