// Package samltest runs a real SAML 2.0 identity provider on loopback for
// tests (crewjam/saml's IdentityProvider): it signs in whoever the test
// says, answers by the HTTP-POST binding with a signed Response around a
// signed assertion, and can be told to answer wrongly (another audience,
// an unsigned assertion, an earlier authentication) so tests see
// Skillgate refuse it.
package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"fmt"
	"html"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	crewsaml "github.com/crewjam/saml"
)

// User is who the IdP signs in.
type User struct {
	NameID, Email, Name string
	Groups              []string
}

// IdP is a running identity provider.
type IdP struct {
	// URL is its base; MetadataURL serves its metadata.
	URL, MetadataURL string

	idp  *crewsaml.IdentityProvider
	key  *rsa.PrivateKey
	cert *x509.Certificate

	mu   sync.Mutex
	sps  map[string]*crewsaml.EntityDescriptor
	user User
	// authnAt: when the user last typed credentials; ForceAuthn makes it
	// now unless stale is set.
	authnAt time.Time
	stale   bool
	// audience, when set, replaces the assertion's audience.
	audience string
	// unsignedAssertion: the assertion's signature is removed (the
	// Response stays signed).
	unsignedAssertion bool
	// expired: the assertion's validity ended ten minutes ago.
	expired bool
	forced  int
}

// New starts an IdP on loopback, stopped at the end of the test.
func New(t testing.TB) *IdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &IdP{key: key, cert: cert, sps: map[string]*crewsaml.EntityDescriptor{}, authnAt: time.Now().Add(-time.Hour)}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL, p.MetadataURL = srv.URL, srv.URL+"/metadata"
	meta, _ := url.Parse(p.MetadataURL)
	sso, _ := url.Parse(srv.URL + "/sso")
	p.idp = &crewsaml.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *meta, SSOURL: *sso,
		ServiceProviderProvider: p, SessionProvider: p, AssertionMaker: p, ResponseWriter: p}
	mux.HandleFunc("/metadata", p.idp.ServeMetadata)
	mux.HandleFunc("/sso", p.idp.ServeSSO)
	return p
}

// EntityID is the IdP's entity ID.
func (p *IdP) EntityID() string { return p.MetadataURL }

// Metadata is the IdP's metadata.
func (p *IdP) Metadata() []byte {
	out, _ := xml.Marshal(p.idp.Metadata())
	return out
}

// AddSP trusts the service provider whose metadata is raw. Its encryption
// key is dropped, so assertions travel in the clear and tests can alter
// them.
func (p *IdP) AddSP(t testing.TB, raw []byte) {
	t.Helper()
	var ed crewsaml.EntityDescriptor
	if err := xml.Unmarshal(raw, &ed); err != nil {
		t.Fatal(err)
	}
	for i := range ed.SPSSODescriptors {
		var keep []crewsaml.KeyDescriptor
		for _, k := range ed.SPSSODescriptors[i].KeyDescriptors {
			if k.Use != "encryption" {
				keep = append(keep, k)
			}
		}
		ed.SPSSODescriptors[i].KeyDescriptors = keep
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sps[ed.EntityID] = &ed
}

// SignIn makes u the person signed in at the IdP.
func (p *IdP) SignIn(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// Stale makes ForceAuthn requests answered with the earlier
// authentication, as an IdP ignoring ForceAuthn would.
func (p *IdP) Stale(stale bool) { p.mu.Lock(); p.stale = stale; p.mu.Unlock() }

// Audience makes assertions name audience instead of the SP ("" undoes it).
func (p *IdP) Audience(audience string) { p.mu.Lock(); p.audience = audience; p.mu.Unlock() }

// UnsignedAssertion strips the assertion's signature, keeping the
// Response's.
func (p *IdP) UnsignedAssertion(on bool) { p.mu.Lock(); p.unsignedAssertion = on; p.mu.Unlock() }

// Expired makes assertions whose validity (conditions and subject
// confirmation) ended ten minutes ago (beyond the allowed clock skew),
// still signed.
func (p *IdP) Expired(on bool) { p.mu.Lock(); p.expired = on; p.mu.Unlock() }

// Forced counts the requests that asked for ForceAuthn.
func (p *IdP) Forced() int { p.mu.Lock(); defer p.mu.Unlock(); return p.forced }

// GetServiceProvider implements crewsaml.ServiceProviderProvider.
func (p *IdP) GetServiceProvider(_ *http.Request, id string) (*crewsaml.EntityDescriptor, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ed := p.sps[id]; ed != nil {
		return ed, nil
	}
	return nil, os.ErrNotExist
}

// GetSession implements crewsaml.SessionProvider: the user is signed in;
// ForceAuthn is a new authentication now.
func (p *IdP) GetSession(_ http.ResponseWriter, _ *http.Request, req *crewsaml.IdpAuthnRequest) *crewsaml.Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := p.authnAt
	if req.Request.ForceAuthn != nil && *req.Request.ForceAuthn {
		p.forced++
		if !p.stale {
			at = time.Now().Add(time.Second).Truncate(time.Second)
		}
	}
	u := p.user
	return &crewsaml.Session{ID: fmt.Sprint(time.Now().UnixNano()), CreateTime: at, ExpireTime: time.Now().Add(time.Hour),
		Index: "1", NameID: u.NameID, NameIDFormat: string(crewsaml.UnspecifiedNameIDFormat), UserEmail: u.Email, UserCommonName: u.Name,
		CustomAttributes: []crewsaml.Attribute{{Name: "groups", NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic", Values: values(u.Groups)}}}
}

func values(ss []string) []crewsaml.AttributeValue {
	out := make([]crewsaml.AttributeValue, len(ss))
	for i, s := range ss {
		out[i] = crewsaml.AttributeValue{Type: "xs:string", Value: s}
	}
	return out
}

// MakeAssertion implements crewsaml.AssertionMaker: the library's, with
// the audience replaced when the test asked.
func (p *IdP) MakeAssertion(req *crewsaml.IdpAuthnRequest, s *crewsaml.Session) error {
	if err := (crewsaml.DefaultAssertionMaker{}).MakeAssertion(req, s); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.audience != "" && req.Assertion.Conditions != nil {
		for i := range req.Assertion.Conditions.AudienceRestrictions {
			req.Assertion.Conditions.AudienceRestrictions[i].Audience = crewsaml.Audience{Value: p.audience}
		}
	}
	if p.expired {
		past := time.Now().Add(-10 * time.Minute)
		if req.Assertion.Conditions != nil {
			req.Assertion.Conditions.NotOnOrAfter = past
		}
		if req.Assertion.Subject != nil {
			for i := range req.Assertion.Subject.SubjectConfirmations {
				if d := req.Assertion.Subject.SubjectConfirmations[i].SubjectConfirmationData; d != nil {
					d.NotOnOrAfter = past
				}
			}
		}
	}
	return nil
}

// WriteResponse implements crewsaml.ResponseWriter: the library's
// auto-posting form, after stripping the assertion's signature when the
// test asked (the Response is signed afterwards, over the stripped
// assertion).
func (p *IdP) WriteResponse(w http.ResponseWriter, req *crewsaml.IdpAuthnRequest) error {
	p.mu.Lock()
	strip := p.unsignedAssertion
	p.mu.Unlock()
	if strip {
		if err := req.MakeAssertionEl(); err != nil {
			return err
		}
		if sig := req.AssertionEl.FindElement("./Signature"); sig != nil {
			req.AssertionEl.RemoveChild(sig)
		}
	}
	return req.WriteResponse(w)
}

var inputRE = regexp.MustCompile(`<input type="hidden" name="(SAMLResponse|RelayState)" value="([^"]*)"`)
var actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)

// Answer reads the IdP's auto-posting form: where it posts and what.
func Answer(body []byte) (string, url.Values, error) {
	m := actionRE.FindSubmatch(body)
	if m == nil {
		return "", nil, fmt.Errorf("no SAML response form in %.300s", body)
	}
	form := url.Values{}
	for _, in := range inputRE.FindAllSubmatch(body, -1) {
		form.Set(string(in[1]), html.UnescapeString(string(in[2])))
	}
	return html.UnescapeString(string(m[1])), form, nil
}
