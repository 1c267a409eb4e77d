// Package softkey is a software WebAuthn authenticator: one passkey
// (P-256, ES256, "none" attestation) that always verifies its user, as a
// phone's fingerprint reader would. The server's tests drive the passkey
// ceremonies with it, and skillgate-bench signs with it as a preceptor's
// tablet does. It answers the options the server sends (their JSON) with
// the JSON a browser would post back.
package softkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Key is one passkey. Its methods are not safe for concurrent use (the
// counter goes up with each answer).
type Key struct {
	key    *ecdsa.PrivateKey
	id     []byte
	userID []byte
	// Counter is the signature counter of the last answer; Assert raises
	// it first. A test sets it back to see the server refuse a clone.
	Counter uint32
}

var b64u = base64.RawURLEncoding

// New makes a passkey with a fresh key pair and credential id.
func New() (*Key, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return &Key{key: k, id: id}, nil
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// authData is the authenticator data for rpID: its hash, the flags, the
// counter, then what is attested (a new credential, on registration).
func (k *Key) authData(rpID string, flags byte, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.Counter)
	return append(out, attested...)
}

// Authenticator data flags: user present, user verified, credential
// data attached.
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

// Register answers a registration's options as the browser would post
// them, for a relying party rpID at origin.
func (k *Key) Register(options, rpID, origin string) (string, error) {
	var o struct {
		PublicKey struct {
			Challenge string
			User      struct{ ID string }
		}
	}
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		return "", fmt.Errorf("registration options: %w", err)
	}
	var err error
	if k.userID, err = b64u.DecodeString(o.PublicKey.User.ID); err != nil {
		return "", fmt.Errorf("registration options' user id: %w", err)
	}
	x, y := k.key.X.FillBytes(make([]byte, 32)), k.key.Y.FillBytes(make([]byte, 32))
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		return "", err
	}
	attested := append(make([]byte, 16), byte(len(k.id)>>8), byte(len(k.id)))
	attested = append(append(attested, k.id...), cose...)
	auth := k.authData(rpID, flagUP|flagUV|flagAT, attested)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"attestationObject": b64u.EncodeToString(att),
			"clientDataJSON": b64u.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, origin))}})
	return string(b), err
}

// Assert answers a login's or a signature's options, counting up.
func (k *Key) Assert(options, rpID, origin string) (string, error) {
	var o struct{ PublicKey struct{ Challenge string } }
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		return "", fmt.Errorf("login options: %w", err)
	}
	k.Counter++
	auth := k.authData(rpID, flagUP|flagUV, nil)
	cd := clientData("webauthn.get", o.PublicKey.Challenge, origin)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(map[string]any{"id": b64u.EncodeToString(k.id), "rawId": b64u.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"authenticatorData": b64u.EncodeToString(auth), "clientDataJSON": b64u.EncodeToString(cd),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString(k.userID)}})
	return string(b), err
}
