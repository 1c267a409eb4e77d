package server

import (
	"net/url"
	"strings"
	"testing"
)

// browserTarget is where a browser goes for a Location header value, as
// the WHATWG URL parser reads it: leading and trailing controls and spaces
// dropped, tabs and line breaks removed anywhere, backslashes read as
// slashes (in http and https URLs).
func browserTarget(location string) (*url.URL, error) {
	s := strings.TrimFunc(location, func(r rune) bool { return r <= ' ' })
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, s)
	// A "%" not followed by two hex digits stays a literal "%" to a
	// browser; Go's parser refuses it, so escape it first.
	var fixed strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			fixed.WriteString("%25")
			continue
		}
		fixed.WriteByte(s[i])
	}
	ref, err := url.Parse(fixed.String())
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse("https://skillgate.example/login")
	return base.ResolveReference(ref), nil
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// The ?next= a login page passes on can only lead back into Skillgate.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/people?page=2", "/", "", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\\\t\\evil.example",
		"https://evil.example", "/%2F%2Fevil.example", "/x\r\nSet-Cookie: a=b", "\t//evil.example", "/.//evil.example", "/people/../..//evil.example",
		"javascript:alert(1)", "/@evil.example", "/ /evil.example", "/\x00/evil.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", next, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < 0x20 || got[i] == 0x7f {
				t.Fatalf("safeNext(%q) = %q: a control character in a header", next, got)
			}
		}
		u, err := browserTarget(got)
		if err != nil || u.Scheme != "https" || u.Host != "skillgate.example" || u.User != nil {
			t.Fatalf("safeNext(%q) = %q, which a browser follows to %v (%v)", next, got, u, err)
		}
	})
}
