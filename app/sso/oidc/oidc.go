// Package oidc signs people in with OpenID Connect: the authorization
// code flow with PKCE, state and nonce, the ID token verified against the
// issuer's published keys (github.com/coreos/go-oidc/v3 with
// golang.org/x/oauth2). It speaks the protocol only; who the answer is in
// Skillgate, and whether it re-authenticated a signer, is app/sso's.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/errkind"
)

// Config is one identity provider.
type Config struct {
	// Issuer is the provider's issuer URL (discovery is read from
	// Issuer/.well-known/openid-configuration).
	Issuer, ClientID, ClientSecret string
	// RedirectURL is Skillgate's callback, SKILLGATE_BASE_URL/auth/oidc/callback.
	RedirectURL string
	// GroupsClaim names the claim holding the person's groups.
	GroupsClaim string
	// HTTPClient talks to the provider (nil: a client with a timeout).
	HTTPClient *http.Client
	// Now is the clock tokens' expiry is checked against.
	Now func() time.Time
}

// ErrRefused: the provider's answer did not verify (signature, issuer,
// audience, expiry, nonce, or the code exchange). The reason is logged,
// never shown.
var ErrRefused = errkind.New(errkind.Unauthenticated, "Your organisation's sign-in answered with something Skillgate could not verify, so you were not signed in. Try again; if it happens again, tell your administrator.")

// ErrUnavailable: the provider could not be reached.
var ErrUnavailable = errkind.New(errkind.Unavailable, "Your organisation's sign-in service cannot be reached just now. Try again in a minute.")

// Provider is a configured OpenID provider, discovered on first use (so
// Skillgate starts while the provider is down, and retries discovery
// until it answers).
type Provider struct {
	cfg Config

	mu       sync.Mutex
	provider *gooidc.Provider
}

// New returns the provider for cfg.
func New(cfg Config) *Provider {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg}
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

func (p *Provider) ctx(ctx context.Context) context.Context {
	return gooidc.ClientContext(ctx, p.cfg.HTTPClient)
}

func (p *Provider) discover(ctx context.Context) (*gooidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	pr, err := gooidc.NewProvider(p.ctx(ctx), p.cfg.Issuer)
	if err != nil {
		return nil, errors.Join(ErrUnavailable, fmt.Errorf("oidc discovery at %s: %w", p.cfg.Issuer, err))
	}
	p.provider = pr
	return pr, nil
}

func (p *Provider) oauth2Config(pr *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.cfg.RedirectURL,
		Endpoint: pr.Endpoint(), Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}
}

// NewVerifier returns a PKCE code verifier for a flow.
func NewVerifier() string { return oauth2.GenerateVerifier() }

// AuthURL is where to send the browser to sign in. With reauth the
// provider is told to ask for the credentials again whatever session it
// has (prompt=login, max_age=0), for a signature.
func (p *Provider) AuthURL(ctx context.Context, state, nonce, verifier string, reauth bool) (string, error) {
	pr, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if reauth {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	return p.oauth2Config(pr).AuthCodeURL(state, opts...), nil
}

// Exchange trades the callback's code for tokens and returns the verified
// ID token's claims: signed by the issuer's key, for this client, not
// expired, carrying nonce. Anything else is ErrRefused (the reason in the
// joined error, for the log).
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string) (sso.Claims, error) {
	pr, err := p.discover(ctx)
	if err != nil {
		return sso.Claims{}, err
	}
	ctx = p.ctx(ctx)
	tok, err := p.oauth2Config(pr).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return sso.Claims{}, errors.Join(ErrRefused, fmt.Errorf("code exchange: %w", err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return sso.Claims{}, errors.Join(ErrRefused, errors.New("no id_token in the token response"))
	}
	idt, err := pr.Verifier(&gooidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		return sso.Claims{}, errors.Join(ErrRefused, err)
	}
	if idt.Nonce == "" || idt.Nonce != nonce {
		return sso.Claims{}, errors.Join(ErrRefused, errors.New("nonce mismatch"))
	}
	var all map[string]json.RawMessage
	if err := idt.Claims(&all); err != nil {
		return sso.Claims{}, errors.Join(ErrRefused, err)
	}
	return p.claims(idt, all), nil
}

// claims reads the claims Skillgate uses, leniently as to their JSON
// types: providers send email_verified as "true", auth_time as a string,
// or a single group as a string.
func (p *Provider) claims(idt *gooidc.IDToken, all map[string]json.RawMessage) sso.Claims {
	c := sso.Claims{Issuer: idt.Issuer, Subject: idt.Subject, Protocol: "oidc"}
	str := func(name string) string {
		var s string
		_ = json.Unmarshal(all[name], &s)
		return strings.TrimSpace(s)
	}
	c.Email = str("email")
	if c.Email == "" {
		// Entra ID gives the sign-in name here when email is not set.
		c.Email = str("preferred_username")
		if !strings.Contains(c.Email, "@") {
			c.Email = ""
		}
	}
	c.Name = str("name")
	var b bool
	if json.Unmarshal(all["email_verified"], &b) == nil {
		c.EmailVerified = b
	} else {
		c.EmailVerified = strings.EqualFold(str("email_verified"), "true")
	}
	var n json.Number
	if json.Unmarshal(all["auth_time"], &n) == nil || json.Unmarshal(all["auth_time"], (*string)(&n)) == nil {
		if f, err := strconv.ParseFloat(string(n), 64); err == nil && f > 0 {
			c.AuthTime = time.Unix(int64(f), 0).UTC()
		}
	}
	var groups []string
	if json.Unmarshal(all[p.cfg.GroupsClaim], &groups) != nil {
		if g := str(p.cfg.GroupsClaim); g != "" {
			groups = []string{g}
		}
	}
	c.Groups = groups
	return c
}
