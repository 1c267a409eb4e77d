package assessments

// Idempotency key limits. 8 characters is the least that makes an accidental
// clash between one person's requests unlikely; 128 fits any UUID, ULID or
// hash a client may use, with room for a prefix.
const (
	MinIdempotencyKeyLen = 8
	MaxIdempotencyKeyLen = 128
)

// ValidateIdempotencyKey checks a client idempotency key: 8 to 128
// characters, each an ASCII letter, digit, hyphen or underscore. It returns
// nil or an *Error with code ErrInvalidIdempotencyKey.
//
// The allowed alphabet is deliberately narrow: the key travels in a header
// and is stored and compared byte for byte, so there is nothing to normalise
// (no case folding, no Unicode look-alikes, no whitespace to trim).
func ValidateIdempotencyKey(key string) error {
	if len(key) < MinIdempotencyKeyLen || len(key) > MaxIdempotencyKeyLen {
		return fail(ErrInvalidIdempotencyKey, "idempotency_key",
			"The request key must be %d to %d characters long; this one has %d. Reload the form and try again.",
			MinIdempotencyKeyLen, MaxIdempotencyKeyLen, len(key))
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fail(ErrInvalidIdempotencyKey, "idempotency_key",
				"The request key may only contain letters, digits, hyphens and underscores. Reload the form and try again.")
		}
	}
	return nil
}
