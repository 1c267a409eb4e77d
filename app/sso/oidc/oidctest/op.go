// Package oidctest runs a real OpenID provider on loopback for tests,
// built with github.com/zitadel/oidc/v3's op package: discovery, the
// authorization endpoint with its login page, the token endpoint (PKCE,
// client secret) and signed ID tokens. Its people sign in by user name
// alone, and its knobs (Tweak) make it answer wrongly on purpose: another
// audience, an expired token, another nonce, a token signed with a key it
// does not publish, an old auth_time.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person at the provider.
type User struct {
	// Name is what they type on the login page; Subject their sub.
	Name, Subject string
	Email         string
	EmailVerified bool
	FullName      string
	Groups        []string
}

// Tweak makes the provider's next answers wrong in one way each.
type Tweak struct {
	Audience   []string  // the ID token's audience: another client's id
	Nonce      string    // instead of the request's
	Expired    bool      // an ID token that expired an hour ago
	ForeignKey bool      // signed with a key the provider does not publish
	AuthTime   time.Time // instead of the moment of the login
}

// Request is what the provider was last asked at its authorization endpoint.
type Request struct {
	Prompt []string
	MaxAge *uint
	Nonce  string
}

// OP is a running provider.
type OP struct {
	// URL is the issuer (http://127.0.0.1:port).
	URL string

	mu       sync.Mutex
	provider *op.Provider
	clients  map[string]*client
	users    map[string]User
	requests map[string]*authRequest
	codes    map[string]string
	tweak    Tweak
	last     Request
}

var (
	keysOnce       sync.Once
	key, otherKey  *rsa.PrivateKey
	errKeyGenerate error
)

func keys() (*rsa.PrivateKey, *rsa.PrivateKey, error) {
	keysOnce.Do(func() {
		if key, errKeyGenerate = rsa.GenerateKey(rand.Reader, 2048); errKeyGenerate == nil {
			otherKey, errKeyGenerate = rsa.GenerateKey(rand.Reader, 2048)
		}
	})
	return key, otherKey, errKeyGenerate
}

// Start runs a provider on loopback until the test ends.
func Start(t testing.TB) *OP {
	t.Helper()
	if _, _, err := keys(); err != nil {
		t.Fatal(err)
	}
	o := &OP{clients: map[string]*client{}, users: map[string]User{}, requests: map[string]*authRequest{}, codes: map[string]string{}}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	var crypto [32]byte
	_, _ = rand.Read(crypto[:])
	p, err := op.NewProvider(&op.Config{CryptoKey: crypto, CodeMethodS256: true, AuthMethodPost: true},
		&storage{o}, op.StaticIssuer(o.URL), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	o.provider = p
	login := op.NewIssuerInterceptor(p.IssuerFromRequest).HandlerFunc(o.login)
	mux.HandleFunc("/login", login)
	mux.Handle("/", p)
	return o
}

// AddClient registers a relying party.
func (o *OP) AddClient(id, secret, redirectURI string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clients[id] = &client{o: o, id: id, secret: secret, redirect: redirectURI}
}

// AddUser adds a person who may sign in.
func (o *OP) AddUser(u User) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.users[u.Name] = u
}

// SetTweak makes the following answers wrong as tw says (Tweak{} for right).
func (o *OP) SetTweak(tw Tweak) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tweak = tw
}

// Last returns what the last authorization request asked.
func (o *OP) Last() Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

func (o *OP) now(tw Tweak) time.Time {
	if !tw.AuthTime.IsZero() {
		return tw.AuthTime
	}
	return time.Now().UTC()
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html><html lang="en"><title>Test identity provider</title>
<h1>Test identity provider</h1><form method="post" action="/login"><input type="hidden" name="id" value="{{.}}">
<label>User name <input name="username" id="op-username"></label> <button type="submit" id="op-submit">Sign in</button></form></html>`))

// login is the provider's own login page: a user name is enough.
func (o *OP) login(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		_ = loginPage.Execute(w, r.URL.Query().Get("id"))
		return
	}
	id, name := r.FormValue("id"), r.FormValue("username")
	o.mu.Lock()
	req, ok := o.requests[id]
	u, known := o.users[name]
	if ok && known {
		req.subject, req.done, req.authTime = u.Subject, true, o.now(o.tweak)
	}
	o.mu.Unlock()
	if !ok || !known {
		http.Error(w, "unknown user or request", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(o.provider)(r.Context(), id), http.StatusFound)
}

// SignIn plays a browser at the provider: it follows authURL (Skillgate's
// redirect) to the login page, signs in as user, and returns the URL the
// provider sends the browser back to (Skillgate's callback with code and
// state), without calling it.
func (o *OP) SignIn(authURL, user string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), o.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := c.Get(authURL)
	if err != nil {
		return "", err
	}
	res.Body.Close()
	if res.Request.URL.Path != "/login" {
		return "", fmt.Errorf("oidctest: expected the login page, got %s %s", res.Status, res.Request.URL)
	}
	res, err = c.PostForm(o.URL+"/login", url.Values{"id": {res.Request.URL.Query().Get("id")}, "username": {user}})
	if err != nil {
		return "", err
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || loc == "" {
		return "", fmt.Errorf("oidctest: expected a redirect to the client, got %s", res.Status)
	}
	return loc, nil
}

type authRequest struct {
	id       string
	req      *oidc.AuthRequest
	subject  string
	done     bool
	authTime time.Time
	tweak    Tweak
}

func (a *authRequest) GetID() string    { return a.id }
func (a *authRequest) GetACR() string   { return "" }
func (a *authRequest) GetAMR() []string { return []string{"pwd"} }
func (a *authRequest) GetClientID() string {
	if len(a.tweak.Audience) > 0 {
		return a.tweak.Audience[0]
	}
	return a.req.ClientID
}
func (a *authRequest) GetAudience() []string {
	if a.tweak.Audience != nil {
		return a.tweak.Audience
	}
	return []string{a.req.ClientID}
}
func (a *authRequest) GetAuthTime() time.Time { return a.authTime }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}
func (a *authRequest) GetNonce() string {
	if a.tweak.Nonce != "" {
		return a.tweak.Nonce
	}
	return a.req.Nonce
}
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return a.subject }
func (a *authRequest) Done() bool                         { return a.done }

type client struct {
	o                    *OP
	id, secret, redirect string
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return []string{c.redirect} }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string            { return c.o.URL + "/login?id=" + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) DevMode() bool                        { return true } // http redirect URIs on loopback
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IDTokenLifetime() time.Duration {
	c.o.mu.Lock()
	defer c.o.mu.Unlock()
	if c.o.tweak.Expired {
		return -time.Hour
	}
	return 5 * time.Minute
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

var errUnsupported = errors.New("oidctest: not supported")

// storage is the provider's memory.
type storage struct{ o *OP }

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	a := &authRequest{id: rand.Text(), req: req, tweak: s.o.tweak}
	s.o.requests[a.id] = a
	s.o.last = Request{Prompt: req.Prompt, MaxAge: req.MaxAge, Nonce: req.Nonce}
	return a, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	if a, ok := s.o.requests[id]; ok {
		return a, nil
	}
	return nil, errors.New("no such request")
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.o.mu.Lock()
	id, ok := s.o.codes[code]
	s.o.mu.Unlock()
	if !ok {
		return nil, errors.New("no such code")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	s.o.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	delete(s.o.requests, id)
	for c, rid := range s.o.codes {
		if rid == id {
			delete(s.o.codes, c)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return rand.Text(), time.Now().Add(5 * time.Minute), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnsupported
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errUnsupported
}
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }
func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrServerError()
}
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	if s.o.tweak.ForeignKey {
		// Same key id, another key: the signature cannot verify.
		return signingKey{id: "k1", key: otherKey}, nil
	}
	return signingKey{id: "k1", key: key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{signingKey{id: "k1", key: key}}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	if c, ok := s.o.clients[id]; ok {
		return c, nil
	}
	return nil, errors.New("no such client")
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	if c, ok := s.o.clients[id]; ok && c.secret == secret {
		return nil
	}
	return errors.New("wrong client or secret")
}

// SetUserinfoFromScopes puts the person's claims (and groups) into the
// ID token, whatever the scopes.
func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, _ []string) error {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	for _, u := range s.o.users {
		if u.Subject == userID {
			info.Subject = u.Subject
			info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
			info.Name = u.FullName
			if u.Groups != nil {
				info.AppendClaims("groups", u.Groups)
			}
		}
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	return s.SetUserinfoFromScopes(ctx, info, subject, "", nil)
}
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errUnsupported
}
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}
func (s *storage) Health(context.Context) error { return nil }
