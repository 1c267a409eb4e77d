// Package assessments records the evidence behind an apprentice's
// competencies (observed performances, self-logged work verified by a
// preceptor, knowledge tests, OJL and RTI hours, sign-offs and their
// revocations) and applies the rules that keep that evidence trustworthy.
//
// It is plain Go: no HTTP, no SQL and no clock. Every function that depends
// on the time takes an injected now; ids are strings made by the storage
// layer (UUIDv7 text); instants are time.Time in UTC; calendar days are
// curriculum.Date, counted in the organisation's time zone
// (curriculum.Settings.TimeZone).
//
// # Records are append-only
//
// Nothing here edits or deletes a record. A mistaken observation is
// corrected by a new Observation that Supersedes it (both stay visible); a
// sign-off ends with a Revocation, a separate record; a credential renewal is
// a new credential record. The only state changes are the reviews of pending
// work (a SelfLog is verified or rejected, an HoursEntry approved or
// rejected), each exactly once. Storage should apply those with
// "UPDATE ... WHERE id = ? AND status = 'pending'" and treat zero affected
// rows as ErrAlreadyReviewed, so two reviewers racing cannot both win.
//
// # Constructors validate, storage persists
//
// NewObservation, NewSelfLog, NewTestResult, NewHoursEntry, CheckSignOff and
// Revoke each take what the caller knows (the enrollment with its compiled
// program version, the acting person, the request, the relevant existing
// records, now) and return either a complete record ready to insert (its ID
// left empty for storage to fill) or an *Error. They never partially
// succeed.
//
// # Idempotency
//
// Every write request carries a client-chosen IdempotencyKey (see
// ValidateIdempotencyKey). The record keeps it, and storage must keep it
// under a unique constraint on (the submitting person, the key) per record
// table, so that a request retried after a lost response inserts nothing the
// second time; storage returns the record already stored under that key.
//
// # Errors
//
// Every error returned by this package's validation is an *Error whose
// Message is written for the person who sees it (a preceptor, an apprentice,
// a program director). Compare with errors.Is against the Err* sentinels,
// which match by Code (a stable API name). Kind comes from the one error
// vocabulary, package errkind: Malformed (the request cannot be read: a
// missing field, a key in the wrong form; HTTP 400), Invalid (a value breaks
// a rule; 422), Forbidden (this person may not; 403), Conflict (the records
// as they stand do not allow it now; 409) or Integrity (a signature does not
// match its record; 500, logged). *Error converts to *errkind.Error, so the
// HTTP layer maps it with every other error in one table.
//
// # Clearance
//
// BuildEvidence turns the records into the curriculum.Evidence summary the
// clearance engine (curriculum.Rules.Evaluate) reads; Summarize produces the
// apprentice's progress page from the same records.
package assessments
