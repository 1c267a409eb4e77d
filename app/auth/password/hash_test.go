package password

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// cheap keeps most tests fast, under the race detector too; the few that
// must exercise the real cost use Hasher{} or the package functions.
var cheap = Hasher{Params: TestParams}

func TestHashFormat(t *testing.T) {
	enc, err := Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(enc, prefix) {
		t.Fatalf("Hash = %q, want prefix %q", enc, prefix)
	}
	d, err := decode(enc)
	if err != nil {
		t.Fatalf("decode(Hash()) = %v", err)
	}
	if d.params != DefaultParams() {
		t.Errorf("decoded params = %+v, want %+v", d.params, DefaultParams())
	}
	if len(d.salt) != 16 || len(d.key) != 32 {
		t.Errorf("salt %d bytes, key %d bytes; want 16 and 32", len(d.salt), len(d.key))
	}
}

func TestHashUsesFreshSalt(t *testing.T) {
	a, err := cheap.Hash("same password twice")
	if err != nil {
		t.Fatal(err)
	}
	b, err := cheap.Hash("same password twice")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

func TestVerify(t *testing.T) {
	const pw = "correct horse battery staple"
	defaultHash, err := Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	cheapHash, err := cheap.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	// "é" precomposed (U+00E9) and decomposed (e + U+0301) are the same
	// password to the person typing it.
	nfcHash, err := cheap.Hash("caf\u00e9 au lait every morning")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		hasher  Hasher
		plain   string
		encoded string
		want    bool
	}{
		{"default round trip", Hasher{}, pw, defaultHash, true},
		{"cheap round trip", cheap, pw, cheapHash, true},
		// Verify takes the cost from the hash, not from the Hasher.
		{"default hasher, cheap hash", Hasher{}, pw, cheapHash, true},
		{"cheap hasher, default hash", cheap, pw, defaultHash, true},
		{"wrong password", cheap, pw + "!", cheapHash, false},
		{"wrong case", cheap, strings.ToUpper(pw), cheapHash, false},
		{"empty password", cheap, "", cheapHash, false},
		{"unicode normalized", cheap, "cafe\u0301 au lait every morning", nfcHash, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := tt.hasher.Verify(tt.plain, tt.encoded)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tt.want {
				t.Errorf("Verify = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestVerifyTamperedHash(t *testing.T) {
	const pw = "correct horse battery staple"
	enc, err := cheap.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(enc, "$") // "", argon2id, v=19, m=64,t=1,p=1, salt, key
	otherSalt := "AAAAAAAAAAAAAAAAAAAAAA"
	flipKey := []byte(f[5])
	if flipKey[0] == 'A' {
		flipKey[0] = 'B'
	} else {
		flipKey[0] = 'A'
	}

	// Each variant is still well formed, so Verify must run argon2 and
	// report a mismatch rather than an error.
	tests := []struct {
		name    string
		encoded string
	}{
		{"key changed", strings.Join([]string{"", f[1], f[2], f[3], f[4], string(flipKey)}, "$")},
		{"salt changed", strings.Join([]string{"", f[1], f[2], f[3], otherSalt, f[5]}, "$")},
		{"memory changed", strings.Replace(enc, "m=64,", "m=72,", 1)},
		{"time changed", strings.Replace(enc, "t=1,", "t=2,", 1)},
		{"threads changed", strings.Replace(enc, "p=1$", "p=2$", 1)},
		{"key truncated", strings.Join([]string{"", f[1], f[2], f[3], f[4], f[5][:24]}, "$")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.encoded == enc {
				t.Fatal("test bug: tampering changed nothing")
			}
			ok, err := cheap.Verify(pw, tt.encoded)
			if err != nil {
				t.Fatalf("Verify(%q): %v", tt.encoded, err)
			}
			if ok {
				t.Errorf("Verify(%q) = true for a tampered hash", tt.encoded)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	const (
		salt = "c2FsdHNhbHRzYWx0c2FsdA"                      // 16 bytes
		key  = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U" // 32 bytes
	)
	phc := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }

	tests := []struct {
		name    string
		encoded string
		want    error
	}{
		{"empty", "", ErrMalformedHash},
		{"not phc", "hunter2", ErrMalformedHash},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", ErrMalformedHash},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, ErrMalformedHash},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key, ErrMalformedHash},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key, ErrMalformedHash},
		{"missing version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, ErrMalformedHash},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, ErrIncompatibleVersion},
		{"version garbage", "$argon2id$v=x$m=64,t=1,p=1$" + salt + "$" + key, ErrMalformedHash},
		{"extra field", phc("m=64,t=1,p=1") + "$", ErrMalformedHash},
		{"params out of order", phc("t=1,m=64,p=1"), ErrMalformedHash},
		{"param missing", phc("m=64,t=1"), ErrMalformedHash},
		{"keyid param", phc("m=64,t=1,p=1,keyid=abc"), ErrMalformedHash},
		{"negative", phc("m=-64,t=1,p=1"), ErrMalformedHash},
		{"plus sign", phc("m=+64,t=1,p=1"), ErrMalformedHash},
		{"leading zero", phc("m=064,t=1,p=1"), ErrMalformedHash},
		{"empty value", phc("m=,t=1,p=1"), ErrMalformedHash},
		{"memory overflows uint32", phc("m=4294967296,t=1,p=1"), ErrMalformedHash},
		{"threads overflow uint8", phc("m=64,t=1,p=256"), ErrMalformedHash},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, ErrMalformedHash},
		{"salt not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key, ErrMalformedHash},
		{"key not base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$%%%%", ErrMalformedHash},
		{"too long", phc("m=64,t=1,p=1") + strings.Repeat("A", 600), ErrMalformedHash},
		// Absurd costs a tampered hash could use to tie up the server.
		{"memory 4 GiB", phc("m=4194304,t=1,p=1"), ErrInvalidParams},
		{"memory just over cap", phc("m=262145,t=1,p=1"), ErrInvalidParams},
		{"time 1000", phc("m=64,t=1000,p=1"), ErrInvalidParams},
		{"threads 255", phc("m=4096,t=1,p=255"), ErrInvalidParams},
		{"time zero", phc("m=64,t=0,p=1"), ErrInvalidParams},
		{"threads zero", phc("m=64,t=1,p=0"), ErrInvalidParams},
		{"memory below 8 KiB per thread", phc("m=15,t=1,p=2"), ErrInvalidParams},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key, ErrInvalidParams},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$a2V5", ErrInvalidParams},
		{"empty key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$", ErrInvalidParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify("correct horse battery staple", tt.encoded)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify(%q) error = %v, want %v", tt.encoded, err, tt.want)
			}
			if ok {
				t.Errorf("Verify(%q) = true", tt.encoded)
			}
		})
	}
}

func TestDecodeParams(t *testing.T) {
	tests := []struct {
		encoded string
		want    Params
	}{
		{
			"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
			Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		},
		{
			// At every upper bound at once.
			"$argon2id$v=19$m=262144,t=16,p=16$" + strings.Repeat("A", 86) + "$" + strings.Repeat("A", 86),
			Params{Memory: 262144, Time: 16, Threads: 16, SaltLen: 64, KeyLen: 64},
		},
		{
			"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
			Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 16},
		},
	}
	for _, tt := range tests {
		d, err := decode(tt.encoded)
		if err != nil {
			t.Errorf("decode(%q): %v", tt.encoded, err)
			continue
		}
		if d.params != tt.want {
			t.Errorf("decode(%q).params = %+v, want %+v", tt.encoded, d.params, tt.want)
		}
		// What decode accepts, encode must reproduce exactly.
		if got := encode(d.params, d.salt, d.key); got != tt.encoded {
			t.Errorf("encode(decode(%q)) = %q", tt.encoded, got)
		}
	}
}

func TestHasherRejectsInvalidParams(t *testing.T) {
	tests := []struct {
		name string
		p    Params
	}{
		{"partly set", Params{Memory: 19456}},
		{"zero threads", Params{Memory: 64, Time: 1, SaltLen: 16, KeyLen: 32}},
		{"memory too high", Params{Memory: maxMemory + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"salt too short", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}},
		{"key too long", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 128}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := Hasher{Params: tt.p}.Hash("correct horse battery staple")
			if !errors.Is(err, ErrInvalidParams) {
				t.Errorf("Hash = %q, %v; want ErrInvalidParams", enc, err)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	const (
		salt16 = "c2FsdHNhbHRzYWx0c2FsdA"
		key32  = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
		key16  = "a2V5a2V5a2V5a2V5a2V5aw"
	)
	phc := func(params, key string) string { return "$argon2id$v=19$" + params + "$" + salt16 + "$" + key }

	tests := []struct {
		name    string
		hasher  Hasher
		encoded string
		want    bool
	}{
		{"current", Hasher{}, phc("m=19456,t=2,p=1", key32), false},
		{"stronger memory", Hasher{}, phc("m=47104,t=2,p=1", key32), false},
		{"stronger time", Hasher{}, phc("m=19456,t=3,p=1", key32), false},
		{"more threads", Hasher{}, phc("m=19456,t=2,p=4", key32), false},
		{"weaker memory", Hasher{}, phc("m=12288,t=2,p=1", key32), true},
		{"weaker time", Hasher{}, phc("m=19456,t=1,p=1", key32), true},
		// Stronger in one dimension does not excuse weaker in another.
		{"more memory, less time", Hasher{}, phc("m=47104,t=1,p=1", key32), true},
		{"shorter key", Hasher{}, phc("m=19456,t=2,p=1", key16), true},
		{"test params", Hasher{}, phc("m=64,t=1,p=1", key32), true},
		{"malformed", Hasher{}, "not a hash", true},
		{"test params against test hasher", cheap, phc("m=64,t=1,p=1", key32), false},
		{"raised defaults", Hasher{Params: Params{Memory: 47104, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}},
			phc("m=19456,t=2,p=1", key32), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hasher.NeedsRehash(tt.encoded); got != tt.want {
				t.Errorf("NeedsRehash(%q) = %v, want %v", tt.encoded, got, tt.want)
			}
		})
	}

	enc, err := Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(enc) {
		t.Errorf("NeedsRehash(Hash()) = true")
	}
}

func TestDefaultParamsIsACopy(t *testing.T) {
	p := DefaultParams()
	p.Memory = 1
	if DefaultParams().Memory == 1 {
		t.Error("changing the result of DefaultParams changed the default")
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashTestParams(b *testing.B) {
	for b.Loop() {
		if _, err := cheap.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// A burst of hashes (logins, sign-offs) runs at most one per processor at
// a time: each holds its whole memory cost while it runs.
func TestHashesRunAtMostOnePerProcessor(t *testing.T) {
	h := Hasher{Params: Params{Memory: 4 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	mostInFlight.Store(0)
	var wg sync.WaitGroup
	for range 4 * cap(slots) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := h.Verify("correct horse battery staple", enc); !ok || err != nil {
				t.Errorf("verify: %v %v", ok, err)
			}
		}()
	}
	wg.Wait()
	if got := int(mostInFlight.Load()); got < 1 || got > cap(slots) {
		t.Errorf("%d hashes ran at once, want 1 to %d (the processors)", got, cap(slots))
	}
}
