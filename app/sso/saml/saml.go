// Package saml signs people in with SAML 2.0 as a service provider
// (github.com/crewjam/saml): an AuthnRequest by the HTTP-Redirect binding,
// the IdP's Response by HTTP-POST, refused unless the assertion itself is
// signed by a key in the IdP's metadata, is for this service provider
// (audience), was sent to its ACS URL (recipient, destination), answers a
// pending request (InResponseTo) and was not accepted before (replay). It
// speaks the protocol only; who the answer is in Skillgate, and whether it
// re-authenticated a signer, is app/sso's.
package saml

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	crewsaml "github.com/crewjam/saml"

	"github.com/skillgate/skillgate/app/sso"
	"github.com/skillgate/skillgate/errkind"
)

// Paths under the base URL.
const (
	MetadataPath = "/auth/saml/metadata"
	ACSPath      = "/auth/saml/acs"
)

// Config is one identity provider.
type Config struct {
	// IdPMetadata is the IdP's metadata: an http(s) URL or a file, read
	// at first use and again every MetadataRefresh.
	IdPMetadata string
	// BaseURL is Skillgate's; the SP's entity ID is BaseURL+MetadataPath
	// and its ACS URL BaseURL+ACSPath.
	BaseURL string
	// Key and Cert are the SP's (metadata, decrypting assertions).
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
	// GroupsClaim names the attribute (Name or FriendlyName) holding the
	// person's groups.
	GroupsClaim string
	// Replay remembers accepted assertions' IDs until they expire.
	Replay crewsaml.AssertionReplayCache
	// HTTPClient reads metadata from a URL (nil: a client with a timeout).
	// Assertions' times are checked against the real clock, the one the
	// IdP stamps them with.
	HTTPClient *http.Client
}

// ErrRefused: the IdP's answer did not verify (signature, issuer,
// audience, recipient, time, request, replay). The reason is logged,
// never shown.
var ErrRefused = errkind.New(errkind.Unauthenticated, "Your organisation's sign-in answered with something Skillgate could not verify, so you were not signed in. Try again; if it happens again, tell your administrator.")

// ErrUnavailable: the IdP's metadata could not be read.
var ErrUnavailable = errkind.New(errkind.Unavailable, "Your organisation's sign-in service cannot be reached just now. Try again in a minute.")

// Provider is a configured SAML identity provider, its metadata read on
// first use (so Skillgate starts while the provider is down) and again
// every MetadataRefresh (so a rolled IdP certificate is picked up).
type Provider struct {
	cfg Config

	mu sync.Mutex
	sp *crewsaml.ServiceProvider // with the IdP's metadata, once read
	// next is when the metadata is read again (the IdP rolls its
	// signing certificate there); now is the clock for it.
	next time.Time
	now  func() time.Time
}

// MetadataRefresh is how often the IdP's metadata is read again; a
// failed read keeps the metadata in use and is tried again after
// metadataRetry.
const (
	MetadataRefresh = 12 * time.Hour
	metadataRetry   = 10 * time.Minute
)

// New returns the provider for cfg.
func New(cfg Config) *Provider {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	return &Provider{cfg: cfg, now: time.Now}
}

// EntityID is the service provider's entity ID (its metadata URL).
func (p *Provider) EntityID() string { return p.cfg.BaseURL + MetadataPath }

// ACSURL is where the IdP posts its answers.
func (p *Provider) ACSURL() string { return p.cfg.BaseURL + ACSPath }

func (p *Provider) base() crewsaml.ServiceProvider {
	meta, _ := url.Parse(p.EntityID())
	acs, _ := url.Parse(p.ACSURL())
	return crewsaml.ServiceProvider{EntityID: p.EntityID(), Key: p.cfg.Key, Certificate: p.cfg.Cert,
		MetadataURL: *meta, AcsURL: *acs, HTTPClient: p.cfg.HTTPClient, ReplayCache: p.cfg.Replay,
		AuthnNameIDFormat: crewsaml.UnspecifiedNameIDFormat,
		SignatureMethod:   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", RejectSHA1Signatures: true}
}

// Metadata is the service provider's metadata, for the IdP's administrator.
func (p *Provider) Metadata() ([]byte, error) {
	sp := p.base()
	out, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

func (p *Provider) ready(ctx context.Context) (*crewsaml.ServiceProvider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.sp != nil && now.Before(p.next) {
		return p.sp, nil
	}
	raw, err := p.readMetadata(ctx)
	var idp *crewsaml.EntityDescriptor
	if err == nil {
		idp, err = ParseMetadata(raw)
	}
	if err != nil {
		if p.sp != nil {
			p.next = now.Add(metadataRetry)
			return p.sp, nil
		}
		return nil, errors.Join(ErrUnavailable, fmt.Errorf("saml metadata %s: %w", p.cfg.IdPMetadata, err))
	}
	sp := p.base()
	sp.IDPMetadata = idp
	p.sp, p.next = &sp, now.Add(MetadataRefresh)
	return p.sp, nil
}

func (p *Provider) readMetadata(ctx context.Context) ([]byte, error) {
	src := p.cfg.IdPMetadata
	if !strings.HasPrefix(src, "https://") && !strings.HasPrefix(src, "http://") {
		return os.ReadFile(src)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	res, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", res.Status)
	}
	return io.ReadAll(io.LimitReader(res.Body, 4<<20))
}

// ParseMetadata reads an IdP's metadata: an EntityDescriptor, or the
// first entity with an IDPSSODescriptor in an EntitiesDescriptor.
func ParseMetadata(raw []byte) (*crewsaml.EntityDescriptor, error) {
	var ed crewsaml.EntityDescriptor
	if err := xml.Unmarshal(raw, &ed); err == nil && len(ed.IDPSSODescriptors) > 0 {
		return &ed, nil
	}
	var eds crewsaml.EntitiesDescriptor
	if err := xml.Unmarshal(raw, &eds); err != nil {
		return nil, fmt.Errorf("neither an EntityDescriptor nor an EntitiesDescriptor: %w", err)
	}
	for i := range eds.EntityDescriptors {
		if len(eds.EntityDescriptors[i].IDPSSODescriptors) > 0 {
			return &eds.EntityDescriptors[i], nil
		}
	}
	return nil, errors.New("no identity provider in the metadata")
}

// SSOOrigin is the scheme and host the browser is sent to for sign-in
// (the IdP's redirect-binding SSO service), once the metadata is read;
// else "".
func (p *Provider) SSOOrigin() string {
	p.mu.Lock()
	sp := p.sp
	p.mu.Unlock()
	if sp == nil {
		return ""
	}
	u, err := url.Parse(sp.GetSSOBindingLocation(crewsaml.HTTPRedirectBinding))
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Issuer is the IdP's entity ID: the issuer of the links it makes.
func (p *Provider) Issuer(ctx context.Context) (string, error) {
	sp, err := p.ready(ctx)
	if err != nil {
		return "", err
	}
	return sp.IDPMetadata.EntityID, nil
}

// NewRequestID returns an AuthnRequest ID (an xs:ID) for a flow.
func NewRequestID() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return "id-" + hex.EncodeToString(b)
}

// AuthURL is where to send the browser to sign in: an AuthnRequest with
// the ID requestID (which the answer must be InResponseTo), carrying
// relayState. With reauth the IdP is told to ask for the credentials
// again whatever session it has (ForceAuthn), for a signature.
func (p *Provider) AuthURL(ctx context.Context, relayState, requestID string, reauth bool) (string, error) {
	sp, err := p.ready(ctx)
	if err != nil {
		return "", err
	}
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(crewsaml.HTTPRedirectBinding), crewsaml.HTTPRedirectBinding, crewsaml.HTTPPostBinding)
	if err != nil {
		return "", errors.Join(ErrUnavailable, err)
	}
	req.ID = requestID
	if reauth {
		force := true
		req.ForceAuthn = &force
	}
	u, err := req.Redirect(relayState, sp)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Parse verifies the IdP's SAMLResponse (as posted, base64) answering the
// request requestID and returns what its assertion says. The assertion
// must carry its own valid signature: a signed Response around an
// unsigned assertion is refused. Anything else is ErrRefused (the reason
// in the joined error, for the log).
func (p *Provider) Parse(ctx context.Context, samlResponse, requestID string) (sso.Claims, error) {
	sp, err := p.ready(ctx)
	if err != nil {
		return sso.Claims{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(samlResponse)
	if err != nil {
		return sso.Claims{}, errors.Join(ErrRefused, fmt.Errorf("SAMLResponse is not base64: %w", err))
	}
	a, err := sp.ParseXMLResponse(raw, []string{requestID}, sp.AcsURL)
	if err != nil {
		var ir *crewsaml.InvalidResponseError
		if errors.As(err, &ir) && ir.PrivateErr != nil {
			err = fmt.Errorf("%w: %w", err, ir.PrivateErr)
		}
		return sso.Claims{}, errors.Join(ErrRefused, err)
	}
	if a.Signature == nil {
		return sso.Claims{}, errors.Join(ErrRefused, errors.New("the assertion is not signed (only the response is)"))
	}
	return p.claims(a, sp.IDPMetadata.EntityID)
}

// claims reads the attributes Skillgate uses, under the names Entra ID,
// Okta and the standard OIDs give them. SAML has no "email verified":
// an existing person is linked by email only with SKILLGATE_SSO_TRUST_EMAIL.
func (p *Provider) claims(a *crewsaml.Assertion, idp string) (sso.Claims, error) {
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return sso.Claims{}, errors.Join(ErrRefused, errors.New("no NameID"))
	}
	c := sso.Claims{Issuer: idp, Subject: strings.TrimSpace(a.Subject.NameID.Value), Protocol: "saml"}
	if a.Issuer.Value != "" {
		c.Issuer = a.Issuer.Value
	}
	values := func(names ...string) []string {
		for _, st := range a.AttributeStatements {
			for _, at := range st.Attributes {
				for _, n := range names {
					if strings.EqualFold(at.Name, n) || (at.FriendlyName != "" && strings.EqualFold(at.FriendlyName, n)) {
						var out []string
						for _, v := range at.Values {
							if s := strings.TrimSpace(v.Value); s != "" {
								out = append(out, s)
							}
						}
						return out
					}
				}
			}
		}
		return nil
	}
	first := func(names ...string) string {
		if v := values(names...); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	c.Email = first("email", "mail", "emailaddress", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "urn:oid:0.9.2342.19200300.100.1.3")
	if c.Email == "" && a.Subject.NameID.Format == string(crewsaml.EmailAddressNameIDFormat) {
		c.Email = c.Subject
	}
	c.Name = first("displayname", "name", "http://schemas.microsoft.com/identity/claims/displayname", "cn", "urn:oid:2.5.4.3")
	if c.Name == "" {
		given := first("givenname", "firstname", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "urn:oid:2.5.4.42")
		sur := first("surname", "sn", "lastname", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "urn:oid:2.5.4.4")
		c.Name = strings.TrimSpace(given + " " + sur)
	}
	groups := []string{p.cfg.GroupsClaim}
	if p.cfg.GroupsClaim == "groups" {
		// Entra ID's name for the groups claim.
		groups = append(groups, "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups")
	}
	c.Groups = values(groups...)
	for _, st := range a.AuthnStatements {
		if c.AuthTime.IsZero() || st.AuthnInstant.After(c.AuthTime) {
			c.AuthTime = st.AuthnInstant.UTC()
		}
	}
	return c, nil
}
