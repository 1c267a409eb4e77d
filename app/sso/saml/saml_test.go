package saml

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	crewsaml "github.com/crewjam/saml"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/sso/saml/samltest"
)

type memReplay struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memReplay) Consume(id string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[id] {
		return crewsaml.ErrAssertionReplayed
	}
	m.seen[id] = true
	return nil
}

// TestParse runs the protocol against a real IdP on loopback (its
// metadata from a file): a good answer's claims; and refusals of a
// replayed, tampered, wrongly addressed, expired, unsigned or unrequested
// answer.
func TestParse(t *testing.T) {
	ctx := context.Background()
	idp := samltest.New(t)
	file := filepath.Join(t.TempDir(), "idp.xml")
	if err := os.WriteFile(file, idp.Metadata(), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := newPair()
	if err != nil {
		t.Fatal(err)
	}
	key, cert, err := parsePair(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := New(Config{IdPMetadata: file, BaseURL: "https://skillgate.example", Key: key, Cert: cert, Replay: &memReplay{seen: map[string]bool{}}})
	meta, err := p.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	idp.AddSP(t, meta)
	idp.SignIn(samltest.User{NameID: "alice-1", Email: "alice@example.org", Name: "Alice Ames", Groups: []string{"sg-rn", "other"}})

	answer := func(reauth bool) (string, string) {
		t.Helper()
		id := NewRequestID()
		to, err := p.AuthURL(ctx, "relay", id, reauth)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(to)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		action, form, err := samltest.Answer(body)
		if err != nil {
			t.Fatal(err)
		}
		if action != "https://skillgate.example/auth/saml/acs" || form.Get("RelayState") != "relay" {
			t.Fatalf("posts to %s with relay state %q", action, form.Get("RelayState"))
		}
		return form.Get("SAMLResponse"), id
	}
	// refused checks the answer is refused for the reason want.
	refused := func(name, want, resp, id string) {
		t.Helper()
		if _, err := p.Parse(ctx, resp, id); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want refused (%s)", name, err, want)
		}
	}

	resp, id := answer(false)
	c, err := p.Parse(ctx, resp, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != idp.EntityID() || c.Subject != "alice-1" || c.Email != "alice@example.org" || c.Name != "Alice Ames" ||
		strings.Join(c.Groups, ",") != "sg-rn,other" || c.Protocol != "saml" || c.AuthTime.IsZero() || c.EmailVerified {
		t.Fatalf("claims %+v", c)
	}
	refused("replayed", "already been used", resp, id)

	resp, id = answer(false)
	refused("answer to another request", "InResponseTo", resp, "id-other")
	xmlDoc, _ := base64.StdEncoding.DecodeString(resp)
	tampered := strings.Replace(string(xmlDoc), "alice-1", "mallory", 1)
	refused("tampered", "Signature could not be verified", base64.StdEncoding.EncodeToString([]byte(tampered)), id)

	idp.Audience("https://other.example/metadata")
	resp, id = answer(false)
	refused("wrong audience", "AudienceRestriction", resp, id)
	idp.Audience("")

	idp.Expired(true)
	resp, id = answer(false)
	refused("expired", "expired", resp, id)
	idp.Expired(false)

	idp.UnsignedAssertion(true)
	resp, id = answer(false)
	refused("unsigned assertion in a signed response", "assertion is not signed", resp, id)
	idp.UnsignedAssertion(false)

	before := time.Now().Truncate(time.Second)
	resp, id = answer(true)
	c, err = p.Parse(ctx, resp, id)
	if err != nil || idp.Forced() != 1 || c.AuthTime.Before(before) {
		t.Fatalf("ForceAuthn: %v, forced %d, auth at %v (asked at %v)", err, idp.Forced(), c.AuthTime, before)
	}

	if _, err := New(Config{IdPMetadata: "http://127.0.0.1:1/none", BaseURL: "x"}).Issuer(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("metadata unreachable: %v", err)
	}

	// The metadata is read again after MetadataRefresh (the IdP rolled
	// its key, here: became another IdP); a failed read keeps the old.
	now := time.Now()
	p.now = func() time.Time { return now }
	other := samltest.New(t)
	if err := os.WriteFile(file, other.Metadata(), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Issuer(ctx); got != idp.EntityID() {
		t.Fatalf("re-read before MetadataRefresh: %s", got)
	}
	now = now.Add(MetadataRefresh + time.Second)
	if got, _ := p.Issuer(ctx); got != other.EntityID() {
		t.Fatalf("not re-read after MetadataRefresh: %s", got)
	}
	if err := os.WriteFile(file, []byte("not metadata"), 0o600); err != nil {
		t.Fatal(err)
	}
	now = now.Add(MetadataRefresh + time.Second)
	if got, err := p.Issuer(ctx); err != nil || got != other.EntityID() {
		t.Fatalf("a failed re-read: %s %v", got, err)
	}
}

// KeyPair generates the SP's key once and keeps it: a second call (another
// instance, a restart) gets the same; files, when given, win. Replay, on
// the same store, accepts an assertion ID once.
func TestKeyPairAndReplay(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		kv := db.NewKV(d)
		r := Replay{KV: kv}
		if err := r.Consume("id-1", time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := r.Consume("id-1", time.Now().Add(time.Minute)); !errors.Is(err, crewsaml.ErrAssertionReplayed) {
			t.Fatalf("replayed: %v", err)
		}
		k1, c1, err := KeyPair(kv, "", "")
		if err != nil {
			t.Fatal(err)
		}
		k2, c2, err := KeyPair(kv, "", "")
		if err != nil || !k1.Equal(k2) || !c1.Equal(c2) {
			t.Fatalf("a second start has another key pair: %v", err)
		}
		raw, _ := newPair()
		dir := t.TempDir()
		keyPEM, certPEM := raw[:bytes.Index(raw, []byte("-----BEGIN CERTIFICATE"))], raw[bytes.Index(raw, []byte("-----BEGIN CERTIFICATE")):]
		kf, cf := filepath.Join(dir, "sp.key"), filepath.Join(dir, "sp.crt")
		if os.WriteFile(kf, keyPEM, 0o600) != nil || os.WriteFile(cf, certPEM, 0o600) != nil {
			t.Fatal("write")
		}
		k3, _, err := KeyPair(kv, kf, cf)
		if err != nil || k3.Equal(k1) {
			t.Fatalf("files: %v", err)
		}
		if _, _, err := KeyPair(kv, kf, ""); err == nil {
			t.Error("a key without its certificate accepted")
		}
	})
}
