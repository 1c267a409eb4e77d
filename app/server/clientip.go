package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"

	"github.com/gofiber/fiber/v2"

	"github.com/skillgate/skillgate/app/clientip"
)

// identify finds where a request comes from, once, before anything
// logs or counts it: the client's address (clientip.Proxies.ClientAddr) and the request id,
// taken from X-Request-ID only when a trusted proxy sent a sane one (a
// client could otherwise write any text into the audit trail) and made up
// otherwise. Both go in locals; the id is returned in the response. Nothing
// else may read X-Forwarded-For or X-Request-ID.
func (s *Server) identify(c *fiber.Ctx) error {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	fromProxy := s.proxies.Trusts(peer)
	c.Locals(localClientIP, s.proxies.ClientAddr(peer, c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)).String())
	id := ""
	if fromProxy {
		id = c.Get(fiber.HeaderXRequestID)
	}
	if !clientip.SafeRequestID(id) {
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
