package saml

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	crewsaml "github.com/crewjam/saml"

	"github.com/skillgate/skillgate/app/db"
)

// Replay remembers accepted assertions' IDs in the kv_store until they
// expire (NotOnOrAfter), shared by every instance: an assertion is
// accepted once.
type Replay struct{ KV *db.KV }

// Consume records id until until, or refuses it if it was recorded.
func (r Replay) Consume(id string, until time.Time) error {
	ok, err := r.KV.Add("saml-assertion:"+id, []byte("1"), until)
	if err != nil {
		return err
	}
	if !ok {
		return crewsaml.ErrAssertionReplayed
	}
	return nil
}

// keyPairKey is where a generated key pair is kept (no expiry).
const keyPairKey = "sso:saml-sp-keypair"

// KeyPair is the service provider's key and certificate: from keyFile and
// certFile (PEM) when given; otherwise generated once (RSA 2048, a
// self-signed certificate for 20 years) and kept in the kv_store, so every
// instance, and every restart, publishes the same metadata.
func KeyPair(kv *db.KV, keyFile, certFile string) (*rsa.PrivateKey, *x509.Certificate, error) {
	if keyFile != "" || certFile != "" {
		if keyFile == "" || certFile == "" {
			return nil, nil, errors.New("saml: SKILLGATE_SAML_SP_KEY and SKILLGATE_SAML_SP_CERT go together")
		}
		k, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, nil, err
		}
		c, err := os.ReadFile(certFile)
		if err != nil {
			return nil, nil, err
		}
		return parsePair(append(k, c...))
	}
	if raw, err := kv.Get(keyPairKey); err != nil {
		return nil, nil, err
	} else if raw != nil {
		return parsePair(raw)
	}
	raw, err := newPair()
	if err != nil {
		return nil, nil, err
	}
	// Of instances starting together, one pair is kept; all read it.
	if _, err := kv.Add(keyPairKey, raw, time.Time{}); err != nil {
		return nil, nil, err
	}
	if raw, err = kv.Get(keyPairKey); err != nil {
		return nil, nil, err
	}
	return parsePair(raw)
}

func newPair() ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Skillgate SAML service provider"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(20, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...), nil
}

// parsePair reads an RSA key (PKCS #1 or #8) and a certificate from PEM.
func parsePair(raw []byte) (*rsa.PrivateKey, *x509.Certificate, error) {
	var key *rsa.PrivateKey
	var cert *x509.Certificate
	for {
		var b *pem.Block
		if b, raw = pem.Decode(raw); b == nil {
			break
		}
		switch b.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("saml: service provider key: %w", err)
			}
			key = k
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("saml: service provider key: %w", err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, nil, errors.New("saml: the service provider key must be RSA")
			}
			key = rk
		case "CERTIFICATE":
			if cert == nil {
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, nil, fmt.Errorf("saml: service provider certificate: %w", err)
				}
				cert = c
			}
		}
	}
	if key == nil || cert == nil {
		return nil, nil, errors.New("saml: a PEM RSA key and certificate are needed")
	}
	return key, cert, nil
}
