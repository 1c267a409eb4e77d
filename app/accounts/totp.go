package accounts

//lint:file-ignore ST1005 this file's error texts are shown to people unchanged, as sentences.

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"

	"github.com/skillgate/skillgate/errkind"
)

// One-time codes (RFC 6238): 6 digits, 30-second steps, HMAC-SHA1 (what
// every authenticator app reads from a QR code). A code of the step
// before or after the server's is accepted (a phone's clock a little off);
// two steps away is refused.
const (
	TOTPPeriod = 30
	TOTPDigits = otp.DigitsSix
	TOTPSkew   = 1
	// RecoveryCodes is how many single-use recovery codes an enrolment gives.
	RecoveryCodes = 10
	// TOTPIssuer names Skillgate in authenticator apps.
	TOTPIssuer = "Skillgate"
)

// Audit actions of second factors.
const (
	ActionFactorEnrol         = "factor.enrol"
	ActionFactorApprove       = "factor.approve"
	ActionFactorRemovalStart  = "factor.removal_start"
	ActionFactorRemove        = "factor.remove"
	ActionRecoveryCodeUsed    = "factor.recovery_code_used"
	ActionSecondFactorFailed  = "login.code_failed"
	ActionRecoveryCodesRenew  = "factor.recovery_codes_renew"
	factorEntity              = "person"
	recoveryCodeAlphabet      = "abcdefghjkmnpqrstuvwxyz23456789" // no 0/o, 1/l/i
	recoveryCodeHalf          = 5
	approvalCodeDigits        = 8
	approvalCodeEmailLifetime = 24 * time.Hour
)

// Errors of second factors, shown to people.
var (
	// ErrBadCode: the code is wrong, used already, or from too long ago.
	ErrBadCode = errkind.New(errkind.Unauthenticated, "That code was not accepted. Type the 6-digit code your authenticator app shows now (each code works once), or one of your recovery codes.")
	// ErrNoEnrolment: nothing is waiting to be confirmed.
	ErrNoEnrolment = errkind.New(errkind.Conflict, "There is no authenticator app waiting to be confirmed. Start again.")
	// ErrFactorExists: the person has an authenticator app already.
	ErrFactorExists = errkind.New(errkind.Conflict, "You already have an authenticator app. To change it, ask an administrator to remove it (it takes two people).")
	// ErrSamePerson: the second person of a two-person action must be
	// someone else.
	ErrSamePerson = errkind.New(errkind.Forbidden, "This needs a second person: someone other than whoever started it (or issued the person's password link).")
	// ErrNothingToConfirm: no removal or approval is waiting.
	ErrNothingToConfirm = errkind.New(errkind.Conflict, "Nothing is waiting for confirmation for this person.")
)

type totpRow struct {
	bun.BaseModel `bun:"table:totp_factors"`
	UserID        string     `bun:"user_id,pk"`
	Secret        string     `bun:"secret"`
	CreatedAt     time.Time  `bun:"created_at"`
	ConfirmedAt   *time.Time `bun:"confirmed_at"`
	LastStep      int64      `bun:"last_step"`
	NeedsApproval bool       `bun:"needs_approval"`
	ApprovedBy    *string    `bun:"approved_by"`
	ApprovedAt    *time.Time `bun:"approved_at"`
	EmailCodeHash string     `bun:"email_code_hash"`
	LastUsedAt    *time.Time `bun:"last_used_at"`
}

type recoveryRow struct {
	bun.BaseModel `bun:"table:recovery_codes"`
	UserID        string     `bun:"user_id,pk"`
	CodeHash      string     `bun:"code_hash,pk"`
	CreatedAt     time.Time  `bun:"created_at"`
	UsedAt        *time.Time `bun:"used_at"`
}

// Factor is a person's authenticator app as their account page shows it.
type Factor struct {
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	LastUsedAt  *time.Time
	// Waiting: confirmed by the person, but a first enrolment after a
	// password link someone else issued counts only once a second person
	// (or a code sent to the person's own email) approves it.
	Waiting bool
	// RecoveryLeft is how many recovery codes are unused.
	RecoveryLeft int
}

// Active reports whether the factor counts: confirmed, and approved when
// it had to be.
func (f *Factor) Active() bool { return f != nil && f.ConfirmedAt != nil && !f.Waiting }

func (r *totpRow) active() bool {
	return r.ConfirmedAt != nil && (!r.NeedsApproval || r.ApprovedAt != nil)
}

// Factor returns userID's authenticator app, or nil when there is none
// (or only one started and not confirmed).
func (s *Store) Factor(ctx context.Context, userID string) (*Factor, error) {
	row, err := s.totp(ctx, s.DB, userID)
	if err != nil || row == nil || row.ConfirmedAt == nil {
		return nil, err
	}
	n, err := s.DB.NewSelect().Model((*recoveryRow)(nil)).Where("user_id = ? AND used_at IS NULL", userID).Count(ctx)
	if err != nil {
		return nil, db.Translate(err)
	}
	return &Factor{CreatedAt: row.CreatedAt, ConfirmedAt: row.ConfirmedAt, LastUsedAt: row.LastUsedAt,
		Waiting: !row.active(), RecoveryLeft: int(n)}, nil
}

// HasSecondFactor reports whether userID has an active second factor (an
// authenticator app, or a passkey): a password alone then neither logs
// them in nor signs for them.
func (s *Store) HasSecondFactor(ctx context.Context, userID string) (bool, error) {
	if has, err := s.HasTOTP(ctx, userID); err != nil || has {
		return has, err
	}
	return s.HasPasskey(ctx, userID)
}

// HasTOTP reports whether userID has an active authenticator app: a login
// then needs a code after the password, and so does a signature.
func (s *Store) HasTOTP(ctx context.Context, userID string) (bool, error) {
	f, err := s.Factor(ctx, userID)
	return f.Active(), err
}

// ErrPasskeyNeeded: the person's second factor is a passkey, which a
// password with a code cannot stand in for.
var ErrPasskeyNeeded = errkind.New(errkind.Unauthenticated, "Your account uses a passkey: use it (the passkey button) instead of your password.")

func (s *Store) totp(ctx context.Context, idb bun.IDB, userID string) (*totpRow, error) {
	var row totpRow
	err := idb.NewSelect().Model(&row).Where("user_id = ?", userID).Scan(ctx)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, db.Translate(err)
	}
	return &row, nil
}

// StartTOTP makes a new secret for p's authenticator app and keeps it
// unconfirmed until ConfirmTOTP; starting again replaces an unconfirmed
// one. It returns the key, whose URL the QR code carries.
func (s *Store) StartTOTP(ctx context.Context, p *Person) (*otp.Key, error) {
	row, err := s.totp(ctx, s.DB, p.ID)
	if err != nil {
		return nil, err
	}
	if row != nil && row.ConfirmedAt != nil {
		return nil, ErrFactorExists
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: p.Email, Period: TOTPPeriod,
		Digits: TOTPDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("new authenticator secret: %w", err)
	}
	now := s.now()
	_, err = s.DB.NewInsert().Model(&totpRow{UserID: p.ID, Secret: key.Secret(), CreatedAt: now}).
		On("CONFLICT (user_id) DO UPDATE").Set("secret = EXCLUDED.secret").Set("created_at = EXCLUDED.created_at").
		Where("?TableAlias.confirmed_at IS NULL").Exec(ctx)
	if err != nil {
		return nil, db.Translate(err)
	}
	return key, nil
}

// PendingTOTP returns the key of p's started, unconfirmed enrolment (for
// its QR code), or ErrNoEnrolment.
func (s *Store) PendingTOTP(ctx context.Context, p *Person) (*otp.Key, error) {
	row, err := s.totp(ctx, s.DB, p.ID)
	if err != nil {
		return nil, err
	}
	if row == nil || row.ConfirmedAt != nil {
		return nil, ErrNoEnrolment
	}
	return keyOf(row.Secret, p.Email)
}

func keyOf(secret, account string) (*otp.Key, error) {
	return otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&period=%d&digits=%d&algorithm=SHA1",
		TOTPIssuer, strings.ReplaceAll(account, " ", "%20"), secret, TOTPIssuer, TOTPPeriod, TOTPDigits.Length()))
}

// TOTPCode is the RFC 6238 code of secret (base32) for the step holding
// t, with the given digits and algorithm (Skillgate's own codes are
// TOTPDigits, SHA-1).
func TOTPCode(secret string, t time.Time, digits otp.Digits, alg otp.Algorithm) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: TOTPPeriod, Digits: digits, Algorithm: alg})
}

// matchStep returns the step (Unix time / TOTPPeriod) whose code is code,
// among the steps within TOTPSkew of now, or 0 when none.
func matchStep(secret, code string, now time.Time) int64 {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != TOTPDigits.Length() {
		return 0
	}
	cur := now.Unix() / TOTPPeriod
	for d := int64(-TOTPSkew); d <= TOTPSkew; d++ {
		step := cur + d
		want, err := TOTPCode(secret, time.Unix(step*TOTPPeriod, 0), TOTPDigits, otp.AlgorithmSHA1)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return 0
}

// NeedsSecondPerson reports whether userID's first enrolment must be
// approved by someone else: their latest completed password reset was
// issued by someone other than themselves (who could otherwise reset the
// password and enrol their own phone, and so sign as them alone).
func (s *Store) NeedsSecondPerson(ctx context.Context, userID string) (bool, error) {
	return s.needsSecondPerson(ctx, s.DB, userID)
}

func (s *Store) needsSecondPerson(ctx context.Context, idb bun.IDB, userID string) (bool, error) {
	var rows []resetRow
	err := idb.NewSelect().Model(&rows).Where("user_id = ? AND used_at IS NOT NULL", userID).
		Order("used_at DESC").Limit(1).Scan(ctx)
	if err != nil {
		return false, db.Translate(err)
	}
	// A link cancelled by a newer one has used_at set too, and was never
	// completed; the newest used_at is the completed one or a cancelled
	// one, and either way issued by the person it names.
	return len(rows) == 1 && rows[0].CreatedBy != userID, nil
}

// ConfirmTOTP finishes an enrolment with the first code from the app. It
// returns the recovery codes (shown once; stored hashed) and whether the
// enrolment still waits for a second person's approval.
func (s *Store) ConfirmTOTP(ctx context.Context, p *Person, code string) ([]string, bool, error) {
	var codes []string
	var waiting bool
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		row, err := s.totp(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if row == nil || row.ConfirmedAt != nil {
			return ErrNoEnrolment
		}
		now := s.now()
		step := matchStep(row.Secret, code, now)
		if step == 0 {
			return ErrBadCode
		}
		if waiting, err = s.needsSecondPerson(ctx, tx, p.ID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*totpRow)(nil)).Set("confirmed_at = ?", now).Set("last_step = ?", step).
			Set("needs_approval = ?", waiting).Where("user_id = ?", p.ID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, p.ID); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionFactorEnrol, EntityType: factorEntity, EntityID: p.ID,
			After: map[string]any{"kind": "authenticator app", "recovery_codes": len(codes), "waits_for_second_person": waiting}})
	})
	if err != nil {
		return nil, false, err
	}
	return codes, waiting, nil
}

// newRecoveryCodes replaces userID's recovery codes with RecoveryCodes
// new ones, and returns them.
func (s *Store) newRecoveryCodes(ctx context.Context, tx bun.IDB, userID string) ([]string, error) {
	if _, err := tx.NewDelete().Model((*recoveryRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return nil, db.Translate(err)
	}
	now := s.now()
	codes := make([]string, RecoveryCodes)
	rows := make([]recoveryRow, RecoveryCodes)
	for i := range codes {
		codes[i] = randomFrom(recoveryCodeAlphabet, recoveryCodeHalf) + "-" + randomFrom(recoveryCodeAlphabet, recoveryCodeHalf)
		rows[i] = recoveryRow{UserID: userID, CodeHash: HashSecret(codes[i]), CreatedAt: now}
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return nil, db.Translate(err)
	}
	return codes, nil
}

func randomFrom(alphabet string, n int) string {
	var b strings.Builder
	for range n {
		i, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b.WriteByte(alphabet[i.Int64()])
	}
	return b.String()
}

// CheckSecondFactor checks a code from p's authenticator app, or one of
// their recovery codes, after their password was accepted. It returns the
// method used ("totp" or "recovery code"). A code works once: a TOTP code
// is refused unless its step is later than the last one accepted (stored
// in the same statement), a recovery code is spent. Failures count
// towards the same lockout as wrong passwords (login.go), and success
// clears it, as a correct password does for an account without a factor.
func (s *Store) CheckSecondFactor(ctx context.Context, p *Person, code string) (string, error) {
	now := s.now()
	key := s.throttleKeys(ctx, p.Email)
	if until, err := key.heldUntil(now); err != nil {
		return "", err
	} else if !until.IsZero() {
		return "", &LockedError{Until: until}
	}
	if cur, err := s.ByID(ctx, p.ID); err != nil {
		return "", err
	} else if cur.LockedUntil != nil && now.Before(*cur.LockedUntil) {
		return "", &LockedError{Until: *cur.LockedUntil, Ceiling: true}
	}
	row, err := s.totp(ctx, s.DB, p.ID)
	if err != nil {
		return "", err
	}
	if row == nil || !row.active() {
		return "", ErrBadCode
	}
	method := ""
	err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if step := matchStep(row.Secret, code, now); step != 0 {
			res, err := tx.NewUpdate().Model((*totpRow)(nil)).Set("last_step = ?", step).Set("last_used_at = ?", now).
				Where("user_id = ? AND last_step < ?", p.ID, step).Exec(ctx)
			if err != nil {
				return db.Translate(err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				method = "totp"
			}
			return nil
		}
		typed := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
		res, err := tx.NewUpdate().Model((*recoveryRow)(nil)).Set("used_at = ?", now).
			Where("user_id = ? AND code_hash = ? AND used_at IS NULL", p.ID, HashSecret(typed)).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			method = "recovery code"
			return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionRecoveryCodeUsed, EntityType: factorEntity, EntityID: p.ID})
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if method == "" {
		var n int
		err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			if n, err = s.recordFailure(ctx, tx, p, now); err != nil {
				return err
			}
			return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionSecondFactorFailed, EntityType: factorEntity, EntityID: p.ID,
				After: map[string]any{"reason": "wrong, reused or expired code"}})
		})
		if err != nil {
			return "", db.Translate(err)
		}
		result, err := key.failure(now, n)
		if err != nil {
			return "", err
		}
		if errors.Is(result, ErrBadCredentials) {
			return "", ErrBadCode
		}
		return "", result
	}
	if err := s.clearFailures(ctx, s.DB, p.ID); err != nil {
		return "", err
	}
	return method, key.clear()
}

// ApproveFactor is the second person's approval of userID's first
// enrolment after a password link someone else issued: approverID may be
// neither the person nor whoever issued that link.
func (s *Store) ApproveFactor(ctx context.Context, approverID, userID string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		row, err := s.totp(ctx, tx, userID)
		if err != nil {
			return err
		}
		if row == nil || row.ConfirmedAt == nil || row.active() {
			return ErrNothingToConfirm
		}
		var issuers []string
		if err := tx.NewSelect().Model((*resetRow)(nil)).Column("created_by").Where("user_id = ? AND used_at IS NOT NULL", userID).
			Order("used_at DESC").Limit(1).Scan(ctx, &issuers); err != nil {
			return db.Translate(err)
		}
		if approverID == userID || (len(issuers) == 1 && issuers[0] == approverID) {
			return ErrSamePerson
		}
		return s.approve(ctx, tx, userID, approverID, "second person")
	})
}

func (s *Store) approve(ctx context.Context, tx bun.IDB, userID, approverID, how string) error {
	now := s.now()
	q := tx.NewUpdate().Model((*totpRow)(nil)).Set("approved_at = ?", now).Set("email_code_hash = ''").Where("user_id = ?", userID)
	if approverID != "" {
		q.Set("approved_by = ?", approverID)
	}
	if _, err := q.Exec(ctx); err != nil {
		return db.Translate(err)
	}
	return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionFactorApprove, EntityType: factorEntity, EntityID: userID,
		After: map[string]any{"approved_by": approverID, "how": how}})
}

// StartEmailApproval makes a code that approves userID's waiting
// enrolment when typed back; the caller emails it to the person's own
// address (never shows it). A new code replaces the last.
func (s *Store) StartEmailApproval(ctx context.Context, userID string) (string, error) {
	row, err := s.totp(ctx, s.DB, userID)
	if err != nil {
		return "", err
	}
	if row == nil || row.ConfirmedAt == nil || row.active() {
		return "", ErrNothingToConfirm
	}
	code := randomFrom("0123456789", approvalCodeDigits)
	_, err = s.DB.NewUpdate().Model((*totpRow)(nil)).Set("email_code_hash = ?", HashSecret(userID+":"+code)).
		Where("user_id = ?", userID).Exec(ctx)
	return code, db.Translate(err)
}

// ApproveByEmail approves userID's waiting enrolment with the code
// StartEmailApproval made; a wrong code counts as a failed login.
func (s *Store) ApproveByEmail(ctx context.Context, p *Person, code string) error {
	code = strings.TrimSpace(code)
	var ok bool
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*totpRow)(nil)).Set("email_code_hash = ''").
			Where("user_id = ? AND email_code_hash = ? AND email_code_hash <> ''", p.ID, HashSecret(p.ID+":"+code)).Exec(ctx)
		if err != nil {
			return db.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		ok = true
		return s.approve(ctx, tx, p.ID, "", "code sent to the person's email")
	})
	if err != nil {
		return err
	}
	if !ok {
		if _, err := s.recordFailure(ctx, s.DB, p, s.now()); err != nil {
			return err
		}
		return ErrBadCode
	}
	return nil
}

// FactorRemoval is a removal of someone's second factor, started by one
// administrator and waiting for a second person.
type FactorRemoval struct {
	ID, UserID, StartedBy string
	StartedAt             time.Time
}

type removalRow struct {
	bun.BaseModel `bun:"table:factor_removals"`
	ID            string     `bun:"id,pk"`
	UserID        string     `bun:"user_id"`
	StartedBy     string     `bun:"started_by"`
	StartedAt     time.Time  `bun:"started_at"`
	ConfirmedBy   *string    `bun:"confirmed_by"`
	ConfirmedAt   *time.Time `bun:"confirmed_at"`
	NoticeShownAt *time.Time `bun:"notice_shown_at"`
}

// PendingRemoval returns the removal of userID's factor waiting for a
// second person, or nil.
func (s *Store) PendingRemoval(ctx context.Context, userID string) (*FactorRemoval, error) {
	var rows []removalRow
	if err := s.DB.NewSelect().Model(&rows).Where("user_id = ? AND confirmed_at IS NULL", userID).Limit(1).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &FactorRemoval{ID: rows[0].ID, UserID: userID, StartedBy: rows[0].StartedBy, StartedAt: rows[0].StartedAt}, nil
}

// StartFactorRemoval is the first of the two people removing userID's
// second factor (an administrator). Nothing is removed yet.
func (s *Store) StartFactorRemoval(ctx context.Context, starterID, userID string) error {
	if starterID == userID {
		return ErrSamePerson
	}
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		row, err := s.totp(ctx, tx, userID)
		if err != nil {
			return err
		}
		if row == nil || row.ConfirmedAt == nil {
			return ErrNothingToConfirm
		}
		if _, err := tx.NewDelete().Model((*removalRow)(nil)).Where("user_id = ? AND confirmed_at IS NULL", userID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		id := NewID()
		if _, err := tx.NewInsert().Model(&removalRow{ID: id, UserID: userID, StartedBy: starterID, StartedAt: s.now()}).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionFactorRemovalStart, EntityType: factorEntity, EntityID: userID,
			After: map[string]any{"started_by": starterID, "waits_for_second_person": true}})
	})
}

// ConfirmFactorRemoval is the second person: it removes userID's
// authenticator app and recovery codes, and records both names. The
// confirmer must be neither the starter nor the person.
func (s *Store) ConfirmFactorRemoval(ctx context.Context, confirmerID, userID string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var rows []removalRow
		if err := tx.NewSelect().Model(&rows).Where("user_id = ? AND confirmed_at IS NULL", userID).Limit(1).Scan(ctx); err != nil {
			return db.Translate(err)
		}
		if len(rows) == 0 {
			return ErrNothingToConfirm
		}
		if rows[0].StartedBy == confirmerID || userID == confirmerID {
			return ErrSamePerson
		}
		now := s.now()
		if _, err := tx.NewUpdate().Model((*removalRow)(nil)).Set("confirmed_by = ?", confirmerID).Set("confirmed_at = ?", now).
			Where("id = ?", rows[0].ID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		if _, err := tx.NewDelete().Model((*totpRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		if _, err := tx.NewDelete().Model((*recoveryRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionFactorRemove, EntityType: factorEntity, EntityID: userID,
			After: map[string]any{"started_by": rows[0].StartedBy, "confirmed_by": confirmerID, "person_told": true}})
	})
}

// RemovalNotice returns, once, the confirmed removal of userID's factor
// that they have not yet been told about at login, and marks it told.
func (s *Store) RemovalNotice(ctx context.Context, userID string) (*FactorRemoval, error) {
	var rows []removalRow
	if err := s.DB.NewSelect().Model(&rows).Where("user_id = ? AND confirmed_at IS NOT NULL AND notice_shown_at IS NULL", userID).
		Order("confirmed_at DESC").Limit(1).Scan(ctx); err != nil {
		return nil, db.Translate(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if _, err := s.DB.NewUpdate().Model((*removalRow)(nil)).Set("notice_shown_at = ?", s.now()).
		Where("user_id = ? AND notice_shown_at IS NULL AND confirmed_at IS NOT NULL", userID).Exec(ctx); err != nil {
		return nil, db.Translate(err)
	}
	return &FactorRemoval{ID: rows[0].ID, UserID: userID, StartedBy: rows[0].StartedBy, StartedAt: rows[0].StartedAt}, nil
}

// Re-authentication methods, as a signature records them.
const (
	MethodPassword         = "password"
	MethodPasswordTOTP     = "password+totp"
	MethodPasswordRecovery = "password+recovery code"
	// MethodPasskey: a passkey with user verification (possession of the
	// device and the PIN or biometric that unlocks it).
	MethodPasskey = "passkey"
)

// ErrCodeNeeded: the person has a second factor, so a password alone does
// not re-authenticate them.
var ErrCodeNeeded = errkind.New(errkind.Unauthenticated, "Your account has a second factor: type the code from your authenticator app as well as your password.").
	WithField("code", "Type the 6-digit code from your authenticator app.")

// Reauthenticate checks that p is at the keyboard now, for a signature
// or a new credential: the password and, when p has a second factor, a
// code (ErrCodeNeeded when it is missing). Both go through the login
// lockout. It returns the method, as a signature records it. A password
// alone never re-authenticates someone who has a second factor, so a
// password set through someone else's reset link cannot sign.
func (s *Store) Reauthenticate(ctx context.Context, p *Person, plain, code string) (string, error) {
	if _, err := s.Authenticate(ctx, p.Email, plain); err != nil {
		return "", err
	}
	has, err := s.HasTOTP(ctx, p.ID)
	if err != nil {
		return "", err
	}
	if !has {
		if pk, err := s.HasPasskey(ctx, p.ID); err != nil || pk {
			return "", errors.Join(err, ErrPasskeyNeeded)
		}
		return MethodPassword, nil
	}
	if strings.TrimSpace(code) == "" {
		return "", ErrCodeNeeded
	}
	m, err := s.CheckSecondFactor(ctx, p, code)
	if err != nil {
		return "", err
	}
	if m == "recovery code" {
		return MethodPasswordRecovery, nil
	}
	return MethodPasswordTOTP, nil
}
