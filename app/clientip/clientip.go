// Package clientip finds the address a request comes from behind trusted
// proxies, and says which request ids a proxy may pass on. It is plain Go
// on net/netip: the HTTP layer (app/server's identify) is its only caller,
// and nothing else may read X-Forwarded-For or X-Request-ID.
package clientip

import (
	"net/netip"
	"regexp"
	"strings"
)

// Proxies are the addresses (SKILLGATE_TRUSTED_PROXIES) whose
// X-Forwarded-For and X-Request-ID headers are believed.
type Proxies []netip.Prefix

// ParseProxies reads the configured addresses and ranges; config.Load has
// already refused anything else.
func ParseProxies(list []string) Proxies {
	var ps Proxies
	for _, s := range list {
		if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
		} else if p, err := netip.ParsePrefix(s); err == nil {
			ps = append(ps, p.Masked())
		}
	}
	return ps
}

// Trusts says whether a is one of the trusted proxies.
func (ps Proxies) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the address of the client a request comes from. A direct
// caller is its socket's address. Behind trusted proxies it walks
// X-Forwarded-For from the right (each proxy appends the address that
// connected to it, and only those entries can be believed), skips the
// trusted proxies, and takes the first address that is not one. Entries
// left of it were written by the client and are ignored; an entry that is
// not an IP address ends the walk at the last proxy, so garbage never
// becomes an address.
func (ps Proxies) ClientAddr(peer netip.Addr, forwardedFor [][]byte) netip.Addr {
	peer = peer.Unmap()
	if !ps.Trusts(peer) {
		return peer
	}
	var hops []string
	for _, h := range forwardedFor {
		hops = append(hops, strings.Split(string(h), ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return client
		}
		client = a
		if !ps.Trusts(a) {
			return a
		}
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port or in brackets (some proxies write those).
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// safeRequestID is the form of a request id a trusted proxy may send.
var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// SafeRequestID says whether id may be used as a request id as sent: a
// client could otherwise write any text into the logs and audit trail.
func SafeRequestID(id string) bool { return safeRequestID.MatchString(id) }
