package assessments

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

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

// Operation names what a request under an idempotency key does.
type Operation string

// The operations that take an idempotency key.
const (
	OpEnroll   Operation = "enroll"
	OpMove     Operation = "move"
	OpObserve  Operation = "observe"
	OpTest     Operation = "test"
	OpSignOff  Operation = "sign_off"
	OpRevoke   Operation = "revoke"
	OpSelfLog  Operation = "self_log"
	OpLogHours Operation = "log_hours"
	// OpTranscribe and OpPaperSignOff transcribe paper records.
	OpTranscribe   Operation = "transcribe"
	OpPaperSignOff Operation = "paper_sign_off"
	// OpTranscribeSelfLog, OpTranscribeHours and OpTranscribeTest
	// transcribe self-logs, hours and test results from paper;
	// OpRevokePaper revokes a paper sign-off.
	OpTranscribeSelfLog Operation = "transcribe_self_log"
	OpTranscribeHours   Operation = "transcribe_hours"
	OpTranscribeTest    Operation = "transcribe_test"
	OpRevokePaper       Operation = "revoke_paper"
)

// Fingerprint is what an idempotency key protects: the operation, its
// target (the enrollment, person or sign-off acted on) and the request's
// content, as the hex SHA-256 of their JSON. Storage keeps it with the
// record the key made. A key is scoped to its submitter by storage (the
// unique index is per submitter); the fingerprint scopes it to one
// operation on one target with one content, so the key of Sam's sign-off
// sent with Jordan's is not taken for a retry of Sam's (CheckReplay).
func Fingerprint(op Operation, target string, req any) string {
	b, err := json.Marshal(struct {
		Op      Operation
		Target  string
		Request any
	}{op, target, req})
	if err != nil { // requests are plain data; this is a programming error
		b = fmt.Appendf(nil, "%s\x00%s\x00%#v", op, target, req)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CheckReplay decides whether a request whose key found a record the same
// submitter stored earlier is a retry of the request that made it (nil:
// answer with that record) or a different request reusing the key
// (ErrKeyReused, and nothing is recorded). stored and storedTarget are the
// record's fingerprint and target; a record kept before fingerprints were
// (stored == "") is judged by its target alone.
func CheckReplay(key, stored, storedTarget, sent, target string) error {
	if stored == sent || stored == "" && storedTarget == target {
		return nil
	}
	return fail(ErrKeyReused, "idempotency_key",
		"The request key %q was already used for a different request (another record, or other content), so nothing was recorded. "+
			"Reload the form and try again; an API client sends a new key for every new request.", key)
}
