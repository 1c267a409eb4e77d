package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Resolver looks host names up; net.DefaultResolver is one, tests pass a
// fake one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard keeps webhooks away from the server's own network (SSRF): an
// endpoint whose host resolves to a loopback, link-local, private, shared
// or metadata address is refused, at registration and again for every
// connection, unless its host name or address is on the allow list.
type Guard struct {
	names    map[string]bool
	prefixes []netip.Prefix
	// Resolver resolves endpoint hosts, at registration and at dial time;
	// nil means net.DefaultResolver.
	Resolver Resolver
}

// ErrRefusedAddress is why a delivery or registration was refused: the
// host is on an address the server must not call.
var ErrRefusedAddress = errors.New("the address is loopback, link-local, private or a metadata service, and not allowed by SKILLGATE_WEBHOOK_ALLOW_HOSTS")

// NewGuard reads an allow list: comma-separated host names, IP addresses
// or CIDR ranges (SKILLGATE_WEBHOOK_ALLOW_HOSTS).
func NewGuard(allow string) (*Guard, error) {
	g := &Guard{names: map[string]bool{}}
	for _, h := range strings.Split(allow, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if p, err := netip.ParsePrefix(h); err == nil {
			g.prefixes = append(g.prefixes, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			g.prefixes = append(g.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		if strings.ContainsAny(h, "/ :@") {
			return nil, fmt.Errorf("SKILLGATE_WEBHOOK_ALLOW_HOSTS: %q is not a host name, an IP address or a CIDR range", h)
		}
		g.names[strings.TrimSuffix(h, ".")] = true
	}
	return g, nil
}

// blockedPrefixes are ranges no webhook may reach unless allowed, besides
// what netip's predicates name (loopback, private, link-local, multicast,
// unspecified).
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),         // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),     // shared address space (and Alibaba's metadata service)
	netip.MustParsePrefix("192.0.0.0/24"),      // IETF protocol assignments (Oracle's metadata service)
	netip.MustParsePrefix("198.18.0.0/15"),     // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),       // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),    // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),     // documentation
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS metadata over IPv6 (inside fc00::/7 too)
}

func (g *Guard) allowedName(host string) bool {
	return g != nil && g.names[strings.TrimSuffix(strings.ToLower(host), ".")]
}

// AllowedAddr reports whether a webhook may connect to a.
func (g *Guard) AllowedAddr(a netip.Addr) bool {
	a = a.Unmap()
	if g != nil {
		for _, p := range g.prefixes {
			if p.Contains(a) {
				return true
			}
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return false
	}
	// NAT64 (64:ff9b::/96) carries an IPv4 address: judge that one.
	if wk := netip.MustParsePrefix("64:ff9b::/96"); wk.Contains(a) {
		b := a.As16()
		return g.AllowedAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func (g *Guard) resolver() Resolver {
	if g != nil && g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// addrs resolves host and keeps the addresses a webhook may reach; it
// fails when there is none.
func (g *Guard) addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var all []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		all = []netip.Addr{a}
	} else {
		all, err = g.resolver().LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("cannot resolve %s", host)
		}
	}
	if g.allowedName(host) {
		return all, nil
	}
	var ok []netip.Addr
	for _, a := range all {
		if !g.AllowedAddr(a) {
			// One bad address refuses the host: a name that answers with
			// both a public and a private address is a rebinding setup.
			return nil, fmt.Errorf("%s resolves to %s: %w", host, a, ErrRefusedAddress)
		}
		ok = append(ok, a)
	}
	if len(ok) == 0 {
		return nil, fmt.Errorf("%s has no address", host)
	}
	return ok, nil
}

// CheckURL checks an endpoint's URL at registration: absolute http or
// https, no credentials in it, a host that resolves to addresses a
// webhook may reach. Its error is for the person registering it.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "":
		return invalid("url", "Give an absolute http:// or https:// URL, such as https://ehr.example.org/hooks/skillgate.")
	case u.User != nil:
		return invalid("url", "Leave user names and passwords out of the URL; deliveries are signed instead.")
	case u.Fragment != "" || strings.ContainsAny(raw, " \t\r\n"):
		return invalid("url", "The URL may not contain spaces or a #fragment.")
	case len(raw) > 2000:
		return invalid("url", "The URL is too long (at most 2,000 characters).")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := g.addrs(ctx, u.Hostname()); err != nil {
		if errors.Is(err, ErrRefusedAddress) {
			return invalid("url", "This URL points into a private network (loopback, link-local, private or a cloud metadata address); webhooks may not call it unless an administrator allows the host in SKILLGATE_WEBHOOK_ALLOW_HOSTS.")
		}
		return invalid("url", "The host of this URL cannot be found.")
	}
	return nil
}

// dial connects to addr ("host:port") through an address the guard
// allows, resolving the name itself so that the address checked is the
// address connected to (a name that changes its answer between
// registration and delivery, or between two lookups, gains nothing). The
// dialer's Control checks the socket's address once more.
func (g *Guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	byName := g.allowedName(host)
	addrs, err := g.addrs(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return err
		}
		if !byName && !g.AllowedAddr(ap.Addr()) {
			return fmt.Errorf("connect to %s: %w", ap.Addr(), ErrRefusedAddress)
		}
		return nil
	}}
	var first error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// Client returns the HTTP client deliveries use: every connection through
// the guard, no proxy from the environment, no redirects followed, timeout
// the whole request's limit.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
