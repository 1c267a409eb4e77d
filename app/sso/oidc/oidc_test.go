package oidc_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/sso/oidc"
	"github.com/skillgate/skillgate/app/sso/oidc/oidctest"
)

const redirect = "http://127.0.0.1:1/auth/oidc/callback"

// TestProviderAgainstARealOP runs the code flow against a real provider
// on loopback: the claims of a right answer, then each wrong answer
// refused.
func TestProviderAgainstARealOP(t *testing.T) {
	ctx := context.Background()
	o := oidctest.Start(t)
	o.AddClient("skillgate", "s3cret", redirect)
	o.AddUser(oidctest.User{Name: "ana", Subject: "sub-ana", Email: "Ana@Clinic.org", EmailVerified: true, FullName: "Ana Ruiz", Groups: []string{"sg-rn", "staff"}})
	p := oidc.New(oidc.Config{Issuer: o.URL, ClientID: "skillgate", ClientSecret: "s3cret", RedirectURL: redirect})

	// flow signs in as ana and exchanges the code as Skillgate's callback
	// would, with the nonce the flow was started with.
	flow := func(t *testing.T, reauth bool, nonce string) error {
		t.Helper()
		verifier := oidc.NewVerifier()
		u, err := p.AuthURL(ctx, "state-1", "nonce-1", verifier, reauth)
		if err != nil {
			t.Fatal(err)
		}
		back, err := o.SignIn(u, "ana")
		if err != nil {
			t.Fatal(err)
		}
		q := mustURL(t, back).Query()
		if q.Get("state") != "state-1" {
			t.Fatalf("state %q", q.Get("state"))
		}
		_, err = p.Exchange(ctx, q.Get("code"), verifier, nonce)
		return err
	}

	verifier := oidc.NewVerifier()
	before := time.Now().Add(-time.Second)
	u, err := p.AuthURL(ctx, "state-1", "nonce-1", verifier, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := o.SignIn(u, "ana")
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Exchange(ctx, mustURL(t, back).Query().Get("code"), verifier, "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != o.URL || c.Subject != "sub-ana" || c.Email != "Ana@Clinic.org" || !c.EmailVerified || c.Name != "Ana Ruiz" ||
		!slices.Equal(c.Groups, []string{"sg-rn", "staff"}) || c.AuthTime.Before(before.Truncate(time.Second)) || c.Protocol != "oidc" {
		t.Fatalf("claims %+v", c)
	}
	if last := o.Last(); len(last.Prompt) != 0 || last.MaxAge != nil {
		t.Fatalf("a login asked for re-authentication: %+v", last)
	}
	// A signature asks the provider to ask again.
	if err := flow(t, true, "nonce-1"); err != nil {
		t.Fatal(err)
	}
	if last := o.Last(); !slices.Equal(last.Prompt, []string{"login"}) || last.MaxAge == nil || *last.MaxAge != 0 {
		t.Fatalf("re-authentication asked %+v, want prompt=login max_age=0", last)
	}

	for _, tc := range []struct {
		name  string
		tweak oidctest.Tweak
		nonce string
	}{
		{"wrong audience", oidctest.Tweak{Audience: []string{"another-app"}}, "nonce-1"},
		{"expired token", oidctest.Tweak{Expired: true}, "nonce-1"},
		{"nonce in the token is not ours", oidctest.Tweak{Nonce: "nonce-2"}, "nonce-1"},
		{"our nonce is another flow's", oidctest.Tweak{}, "nonce-of-another-flow"},
		{"signed by a key the issuer does not publish", oidctest.Tweak{ForeignKey: true}, "nonce-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o.SetTweak(tc.tweak)
			defer o.SetTweak(oidctest.Tweak{})
			if err := flow(t, false, tc.nonce); !errors.Is(err, oidc.ErrRefused) {
				t.Fatalf("got %v, want ErrRefused", err)
			}
		})
	}
	t.Run("a code used twice", func(t *testing.T) {
		verifier := oidc.NewVerifier()
		u, _ := p.AuthURL(ctx, "s", "n", verifier, false)
		back, err := o.SignIn(u, "ana")
		if err != nil {
			t.Fatal(err)
		}
		code := mustURL(t, back).Query().Get("code")
		if _, err := p.Exchange(ctx, code, verifier, "n"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Exchange(ctx, code, verifier, "n"); !errors.Is(err, oidc.ErrRefused) {
			t.Fatalf("replayed code: %v", err)
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		u, _ := p.AuthURL(ctx, "s", "n", oidc.NewVerifier(), false)
		back, err := o.SignIn(u, "ana")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Exchange(ctx, mustURL(t, back).Query().Get("code"), oidc.NewVerifier(), "n"); !errors.Is(err, oidc.ErrRefused) {
			t.Fatalf("wrong verifier: %v", err)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
