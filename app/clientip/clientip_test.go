package clientip

import (
	"net/netip"
	"testing"
)

// TestClientAddr: the right-most hop that is not a trusted proxy, and
// nothing a client wrote to the left of it.
func TestClientAddr(t *testing.T) {
	ps := ParseProxies([]string{"10.0.0.1", "192.168.0.0/16"})
	addr := netip.MustParseAddr
	cases := []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{"direct caller, header ignored", "203.0.113.9", []string{"1.2.3.4"}, "203.0.113.9"},
		{"one proxy", "10.0.0.1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"spoofed left entry ignored", "10.0.0.1", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"two proxies, split headers", "10.0.0.1", []string{"198.51.100.7", "192.168.4.4"}, "198.51.100.7"},
		{"port and brackets", "10.0.0.1", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"garbage stops at the last proxy", "10.0.0.1", []string{"198.51.100.7, not-an-ip, 192.168.1.1"}, "192.168.1.1"},
		{"only proxies", "10.0.0.1", []string{"192.168.1.1"}, "192.168.1.1"},
		{"mapped IPv4 peer", "::ffff:10.0.0.1", []string{"198.51.100.7"}, "198.51.100.7"},
	}
	for _, c := range cases {
		var xff [][]byte
		for _, h := range c.xff {
			xff = append(xff, []byte(h))
		}
		if got := ps.ClientAddr(addr(c.peer), xff); got != addr(c.want) {
			t.Errorf("%s: ClientAddr = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestSafeRequestID(t *testing.T) {
	for id, want := range map[string]bool{"abc-123_X.y": true, "": false, "a b": false, "x\nforged": false, string(make([]byte, 65)): false} {
		if SafeRequestID(id) != want {
			t.Errorf("SafeRequestID(%q) = %v, want %v", id, !want, want)
		}
	}
}
