package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Params are the argon2id cost parameters and output sizes used for new
// hashes. Verify does not use them: it reads the parameters stored in each
// hash, which is what allows them to be raised over time.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// SaltLen is the length of the random salt in bytes.
	SaltLen uint32
	// KeyLen is the length of the derived key in bytes.
	KeyLen uint32
}

// defaultParams is unexported so that no package can weaken hashing for the
// whole program by assigning to a variable; DefaultParams hands out copies.
//
// The values are the OWASP Password Storage Cheat Sheet minimum for argon2id
// (19 MiB, 2 passes, 1 thread), with the 16-byte salt and 32-byte key that
// RFC 9106 recommends.
var defaultParams = Params{
	Memory:  19 * 1024,
	Time:    2,
	Threads: 1,
	SaltLen: 16,
	KeyLen:  32,
}

// DefaultParams returns the parameters used by Hash and by a Hasher whose
// Params are left at the zero value.
func DefaultParams() Params { return defaultParams }

// TestParams is a deliberately cheap parameter set (64 KiB, 1 pass) for
// tests only. argon2id at 19 MiB takes tens of milliseconds per hash, far
// more under the race detector, which adds up in test suites that create many
// users. Pass it explicitly, for example password.Hasher{Params:
// password.TestParams}, from test code.
//
// Never use it in production: hashes made with it offer next to no
// resistance to offline guessing. Hashers with the default parameters report
// NeedsRehash for them, so any that leak into a real database are upgraded at
// the next login.
var TestParams = Params{
	Memory:  64,
	Time:    1,
	Threads: 1,
	SaltLen: 16,
	KeyLen:  32,
}

// Bounds on parameters. The upper bounds exist because Verify takes the cost
// from the stored hash: without them, someone able to tamper with a stored
// hash could make a single login attempt allocate gigabytes or spin for
// minutes. They leave ample headroom (over 13 times the default memory) for
// raising the defaults later. The lower bounds are argon2's own minimums plus
// sizes below which a salt or key is not worth having.
const (
	maxMemory  = 256 * 1024 // KiB, i.e. 256 MiB
	maxTime    = 16
	maxThreads = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64

	// maxEncodedLen bounds the PHC string before any parsing; the largest
	// valid string is well under 250 bytes.
	maxEncodedLen = 512
)

// Errors returned by Hash and Verify. They describe a programming or data
// problem, not something the user typed, and are not meant for end users.
// Returned errors wrap one of these with details; test them with errors.Is.
var (
	// ErrMalformedHash means the encoded hash is not a well-formed argon2id
	// PHC string.
	ErrMalformedHash = errors.New("password: malformed argon2id hash")
	// ErrIncompatibleVersion means the hash uses an argon2 version other
	// than 19 (0x13), the only one golang.org/x/crypto/argon2 implements.
	ErrIncompatibleVersion = errors.New("password: incompatible argon2 version")
	// ErrInvalidParams means the parameters, given to a Hasher or stored in
	// a hash, are outside the accepted bounds.
	ErrInvalidParams = errors.New("password: argon2id parameters out of bounds")
)

// Hasher hashes and verifies passwords with argon2id. The zero value uses
// DefaultParams. A Hasher is safe for concurrent use.
type Hasher struct {
	// Params are used for new hashes and are the bar NeedsRehash compares
	// stored hashes against. The zero value means DefaultParams.
	Params Params
}

func (h Hasher) params() Params {
	if h.Params == (Params{}) {
		return defaultParams
	}
	return h.Params
}

// Hash returns the argon2id PHC string for plain using DefaultParams.
func Hash(plain string) (string, error) { return Hasher{}.Hash(plain) }

// slots bounds the hashes computed at once to the processors the runtime
// runs on. Each hash holds its whole memory cost (19 MiB) while it runs,
// so a burst of logins or sign-offs would otherwise allocate that many
// times over: under the server's soft memory limit the collector then
// stalls every request, and one request could make the process allocate
// gigabytes. Hashes beyond the processors would only share them.
var slots = make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))

// inFlight counts the hashes running (tests read the most seen).
var inFlight, mostInFlight atomic.Int32

// derive is argon2id with p's costs, waiting for a slot.
func derive(plain, salt []byte, p Params) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	n := inFlight.Add(1)
	defer inFlight.Add(-1)
	for {
		if m := mostInFlight.Load(); n <= m || mostInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	return argon2.IDKey(plain, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// Verify reports whether plain matches encoded; see Hasher.Verify.
func Verify(plain, encoded string) (ok bool, err error) { return Hasher{}.Verify(plain, encoded) }

// NeedsRehash reports whether encoded is weaker than DefaultParams; see
// Hasher.NeedsRehash.
func NeedsRehash(encoded string) bool { return Hasher{}.NeedsRehash(encoded) }

// Hash returns the argon2id PHC string for plain, after NFKC normalization,
// with a fresh random salt. It fails only if h.Params are out of bounds.
func (h Hasher) Hash(plain string) (string, error) {
	p := h.params()
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	// Since Go 1.24 crypto/rand.Read never returns an error (it crashes the
	// program if the OS cannot supply randomness), so there is none to check.
	_, _ = rand.Read(salt)
	key := derive(normalize(plain), salt, p)
	return encode(p, salt, key), nil
}

// Verify reports whether plain matches the PHC string encoded. The cost
// parameters come from encoded, not from h, so hashes made with older or
// different parameters keep working.
//
// A wrong password gives (false, nil). A hash that cannot be parsed, uses
// another algorithm or version, or has parameters outside the accepted
// bounds gives (false, err) without running argon2, so a tampered hash
// cannot be used to exhaust memory or CPU.
func (h Hasher) Verify(plain, encoded string) (ok bool, err error) {
	d, err := decode(encoded)
	if err != nil {
		return false, err
	}
	key := derive(normalize(plain), d.salt, d.params)
	// Constant time, so response timing reveals nothing about how much of
	// the key matched.
	return subtle.ConstantTimeCompare(key, d.key) == 1, nil
}

// NeedsRehash reports whether encoded should be replaced by a fresh hash
// from h: it is malformed, or its memory, time, salt length or key length is
// below h's. Call it after a successful Verify, while the plain password is
// at hand, and store the result of Hash if it returns true.
//
// Threads are ignored: parallelism lets the defender finish sooner but does
// not raise an attacker's cost, so a different value is not weaker.
func (h Hasher) NeedsRehash(encoded string) bool {
	d, err := decode(encoded)
	if err != nil {
		return true
	}
	want, got := h.params(), d.params
	return got.Memory < want.Memory ||
		got.Time < want.Time ||
		got.SaltLen < want.SaltLen ||
		got.KeyLen < want.KeyLen
}

// validate checks p against the bounds that Verify enforces, so that a
// Hasher never produces a hash that it would then refuse to verify.
func (p Params) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("%w: time %d not in [1, %d]", ErrInvalidParams, p.Time, maxTime)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("%w: threads %d not in [1, %d]", ErrInvalidParams, p.Threads, maxThreads)
	// argon2 needs at least 8 KiB per thread.
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("%w: memory %d KiB not in [%d, %d]", ErrInvalidParams, p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("%w: salt length %d not in [%d, %d]", ErrInvalidParams, p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("%w: key length %d not in [%d, %d]", ErrInvalidParams, p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// normalize applies the same NFKC normalization as the policy check, so the
// string that was checked is the string that is hashed.
func normalize(plain string) []byte { return norm.NFKC.Bytes([]byte(plain)) }

// b64 is the PHC string encoding: standard alphabet, no padding. Strict
// rejects encodings with non-zero trailing bits, so each salt and key has
// exactly one accepted spelling.
var b64 = base64.RawStdEncoding.Strict()

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

type decoded struct {
	params Params
	salt   []byte
	key    []byte
}

// decode parses a PHC string of exactly the form encode writes. The optional
// PHC parts (keyid, data, a missing version) are rejected rather than
// ignored, since nothing here produces them.
func decode(encoded string) (decoded, error) {
	var d decoded
	if len(encoded) > maxEncodedLen {
		return d, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedLen)
	}
	// "$argon2id$v=19$m=..,t=..,p=..$salt$key" splits into 6 fields, the
	// first empty.
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" {
		return d, fmt.Errorf("%w: want 5 '$'-separated fields", ErrMalformedHash)
	}
	if f[1] != "argon2id" {
		return d, fmt.Errorf("%w: algorithm %q, want argon2id", ErrMalformedHash, f[1])
	}

	vs, found := strings.CutPrefix(f[2], "v=")
	if !found {
		return d, fmt.Errorf("%w: missing version", ErrMalformedHash)
	}
	v, err := parseUint(vs, 32)
	if err != nil {
		return d, fmt.Errorf("%w: version: %v", ErrMalformedHash, err)
	}
	if v != argon2.Version {
		return d, fmt.Errorf("%w: %d, want %d", ErrIncompatibleVersion, v, argon2.Version)
	}

	kv := strings.Split(f[3], ",")
	if len(kv) != 3 {
		return d, fmt.Errorf("%w: want parameters m, t and p", ErrMalformedHash)
	}
	// PHC fixes the order m, t, p.
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		s, found := strings.CutPrefix(kv[i], name+"=")
		if !found {
			return d, fmt.Errorf("%w: parameter %d is %q, want %s=", ErrMalformedHash, i+1, kv[i], name)
		}
		bits := 32
		if name == "p" {
			bits = 8
		}
		if vals[i], err = parseUint(s, bits); err != nil {
			return d, fmt.Errorf("%w: parameter %s: %v", ErrMalformedHash, name, err)
		}
	}

	if d.salt, err = b64.DecodeString(f[4]); err != nil {
		return d, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	if d.key, err = b64.DecodeString(f[5]); err != nil {
		return d, fmt.Errorf("%w: hash: %v", ErrMalformedHash, err)
	}
	d.params = Params{
		Memory:  uint32(vals[0]),
		Time:    uint32(vals[1]),
		Threads: uint8(vals[2]),
		SaltLen: uint32(len(d.salt)),
		KeyLen:  uint32(len(d.key)),
	}
	if err := d.params.validate(); err != nil {
		return decoded{}, err
	}
	return d, nil
}

// parseUint parses a PHC decimal: digits only, no sign and no leading zero,
// so that every number has a single spelling.
func parseUint(s string, bits int) (uint64, error) {
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("leading zero in %q", s)
	}
	return strconv.ParseUint(s, 10, bits)
}
