package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// proxies are the addresses (SKILLGATE_TRUSTED_PROXIES) whose
// X-Forwarded-For and X-Request-ID headers are believed.
type proxies []netip.Prefix

// parseProxies reads the configured addresses and ranges; config.Load has
// already refused anything else.
func parseProxies(list []string) proxies {
	var ps proxies
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

func (ps proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address of the client a request comes from. A direct
// caller is its socket's address. Behind trusted proxies it walks
// X-Forwarded-For from the right (each proxy appends the address that
// connected to it, and only those entries can be believed), skips the
// trusted proxies, and takes the first address that is not one. Entries
// left of it were written by the client and are ignored; an entry that is
// not an IP address ends the walk at the last proxy, so garbage never
// becomes an address.
func (ps proxies) clientAddr(peer netip.Addr, forwardedFor [][]byte) netip.Addr {
	peer = peer.Unmap()
	if !ps.trusts(peer) {
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
		if !ps.trusts(a) {
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

// identify finds where a request comes from, once, before anything
// logs or counts it: the client's address (clientAddr) and the request id,
// taken from X-Request-ID only when a trusted proxy sent a sane one (a
// client could otherwise write any text into the audit trail) and made up
// otherwise. Both go in locals; the id is returned in the response. Nothing
// else may read X-Forwarded-For or X-Request-ID.
func (s *Server) identify(c *fiber.Ctx) error {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	fromProxy := s.proxies.trusts(peer)
	c.Locals(localClientIP, s.proxies.clientAddr(peer, c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)).String())
	id := ""
	if fromProxy {
		id = c.Get(fiber.HeaderXRequestID)
	}
	if !safeRequestID.MatchString(id) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

// clientIP is the client's address as identify found it. Use it, never
// c.IP() (the socket, a proxy's address behind one) or the raw header.
func clientIP(c *fiber.Ctx) string {
	ip, _ := c.Locals(localClientIP).(string)
	return ip
}

func requestIDOf(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}
