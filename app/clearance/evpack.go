package clearance

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"sync"

	"github.com/skillgate/skillgate/curriculum"
)

// Packed evidence: curriculum.Evidence in about a tenth of its memory, so
// that every person's evidence can stay in memory and a question about any
// day is decided without reading the database (see snapshot.go). Codes
// (competencies, variants, kinds, credential types, covered items, hours
// codes) are numbers in a table shared by the process, which only grows
// with the organisation's vocabulary; counts are varints, and each day the
// days from the one written before it (a record's and the next's are
// close), so most take a byte. Only what deciding reads is kept: a
// performance's id only when another performance supersedes it (the
// engine compares ids for nothing else); a sign-off's and a credential's
// id, a card's number and the person's id not at all (the engine never
// reads them).

// codeTable numbers the codes of packed evidence.
type codeTable struct {
	mu    sync.RWMutex
	index map[string]uint64
	codes []string
}

func (t *codeTable) number(s string) uint64 {
	t.mu.RLock()
	n, ok := t.index[s]
	t.mu.RUnlock()
	if ok {
		return n
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, ok := t.index[s]; ok {
		return n
	}
	if t.index == nil {
		t.index = map[string]uint64{}
	}
	n = uint64(len(t.codes))
	t.index[s] = n
	t.codes = append(t.codes, s)
	return n
}

// all returns the codes numbered so far. Numbers are only ever added, and
// appending never changes the elements of an earlier slice, so the result
// may be read without the lock.
func (t *codeTable) all() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.codes
}

// dayBase is the day packed dates count from.
var dayBase = curriculum.NewDate(2000, 1, 1)

type packer struct {
	b     []byte
	codes *codeTable
	// last is the last day written that was not zero (dayBase first).
	last curriculum.Date
}

func (p *packer) uint(n uint64) { p.b = binary.AppendUvarint(p.b, n) }
func (p *packer) int(n int64)   { p.b = binary.AppendVarint(p.b, n) }
func (p *packer) code(s string) { p.uint(p.codes.number(s)) }
func (p *packer) text(s string) { p.uint(uint64(len(s))); p.b = append(p.b, s...) }
func (p *packer) bool(v bool) {
	if v {
		p.b = append(p.b, 1)
	} else {
		p.b = append(p.b, 0)
	}
}

// date writes 0 for the zero date, else the days from the last day
// written, shifted so that no real day is 0.
func (p *packer) date(d curriculum.Date) {
	if d.IsZero() {
		p.int(0)
		return
	}
	n := int64(p.last.DaysUntil(d))
	if n >= 0 {
		n++
	}
	p.int(n)
	p.last = d
}

// score writes a knowledge test's score exactly, its bytes reversed: a
// score with a short fraction (85, 92.5) has its low bytes zero, so it
// takes two to four bytes instead of ten.
func (p *packer) score(f float64) { p.uint(bits.ReverseBytes64(math.Float64bits(f))) }

// A packed performance's flags.
const (
	perfSuccessful byte = 1 << iota
	perfID
	perfSupersedes
)

// packEvidence packs ev with codes numbered in t.
func packEvidence(ev *curriculum.Evidence, t *codeTable) []byte {
	p := &packer{b: make([]byte, 0, 32+8*len(ev.Performances)+10*len(ev.SignOffs)), codes: t, last: dayBase}
	p.date(ev.HireDate)
	p.uint(uint64(len(ev.Credentials)))
	for i := range ev.Credentials {
		c := &ev.Credentials[i]
		p.code(c.Type)
		p.date(c.IssuedOn)
		p.date(c.ExpiresOn)
		p.bool(c.Verified)
		p.date(c.VerifiedOn)
		p.date(c.RecordedOn)
	}
	superseded := map[string]bool{}
	for i := range ev.Performances {
		if s := ev.Performances[i].Supersedes; s != "" {
			superseded[s] = true
		}
	}
	p.uint(uint64(len(ev.Performances)))
	for i := range ev.Performances {
		f := &ev.Performances[i]
		// One byte says what most performances leave out: an id
		// (superseded) and a correction (Supersedes).
		var flags byte
		if f.Successful {
			flags |= perfSuccessful
		}
		if superseded[f.ID] {
			flags |= perfID
		}
		if f.Supersedes != "" {
			flags |= perfSupersedes
		}
		p.b = append(p.b, flags)
		if flags&perfID != 0 {
			p.text(f.ID)
		}
		p.code(f.Competency)
		p.code(f.Variant)
		p.date(f.PerformedOn)
		p.date(f.RecordedOn)
		if flags&perfSupersedes != 0 {
			p.text(f.Supersedes)
		}
	}
	p.uint(uint64(len(ev.KnowledgeTests)))
	for i := range ev.KnowledgeTests {
		k := &ev.KnowledgeTests[i]
		p.code(k.Competency)
		p.score(k.Score)
		p.date(k.TakenOn)
		p.date(k.RecordedOn)
	}
	p.uint(uint64(len(ev.SignOffs)))
	for i := range ev.SignOffs {
		s := &ev.SignOffs[i]
		p.code(s.Competency)
		p.code(string(s.Kind))
		p.date(s.SignedOn)
		p.date(s.RecordedOn)
		p.uint(uint64(len(s.Covered)))
		for _, c := range s.Covered {
			p.code(c)
		}
		p.date(s.RevokedFrom)
		p.date(s.RevocationRecordedOn)
		p.bool(s.Paper)
	}
	p.uint(uint64(len(ev.Hours)))
	for i := range ev.Hours {
		h := &ev.Hours[i]
		p.code(string(h.Kind))
		p.code(h.Code)
		p.date(h.WorkedOn)
		p.int(int64(h.Minutes))
		p.date(h.RecordedOn)
	}
	p.uint(uint64(len(ev.Holds)))
	for _, h := range ev.Holds {
		p.date(h.From)
		p.date(h.Until)
	}
	// Kept for as long as the person's stamp stands: an exact copy, not
	// the grown buffer (up to twice the length).
	return append(make([]byte, 0, len(p.b)), p.b...)
}

var errPacked = errors.New("packed evidence is damaged")

type unpacker struct {
	b     []byte
	codes []string
	err   error
	last  curriculum.Date
}

func (u *unpacker) uint() uint64 {
	n, k := binary.Uvarint(u.b)
	if k <= 0 {
		u.err, u.b = errPacked, nil
		return 0
	}
	u.b = u.b[k:]
	return n
}

func (u *unpacker) int() int64 {
	n, k := binary.Varint(u.b)
	if k <= 0 {
		u.err, u.b = errPacked, nil
		return 0
	}
	u.b = u.b[k:]
	return n
}

// count reads a length, refusing one longer than what is left (each item
// takes at least a byte), so damaged input cannot ask for a huge slice.
func (u *unpacker) count() int {
	n := u.uint()
	if n > uint64(len(u.b)) {
		u.err, u.b = errPacked, nil
		return 0
	}
	return int(n)
}

func (u *unpacker) code() string {
	n := u.uint()
	if n >= uint64(len(u.codes)) {
		u.err, u.b = errPacked, nil
		return ""
	}
	return u.codes[n]
}

func (u *unpacker) text() string {
	n := u.count()
	s := string(u.b[:n])
	u.b = u.b[n:]
	return s
}

func (u *unpacker) byte() byte {
	if len(u.b) == 0 {
		u.err = errPacked
		return 0
	}
	v := u.b[0]
	u.b = u.b[1:]
	return v
}

func (u *unpacker) bool() bool { return u.byte() == 1 }

func (u *unpacker) date() curriculum.Date {
	n := u.int()
	switch {
	case n == 0:
		return curriculum.Date{}
	case n > 0:
		n--
	}
	u.last = u.last.AddDays(int(n))
	return u.last
}

func (u *unpacker) score() float64 { return math.Float64frombits(bits.ReverseBytes64(u.uint())) }

// unpackEvidence is packEvidence's inverse for person's evidence (what it
// does not keep comes back empty: performance ids no other performance
// supersedes, sign-off and credential ids, card numbers).
func unpackEvidence(b []byte, person string, t *codeTable) (*curriculum.Evidence, error) {
	u := &unpacker{b: b, codes: t.all(), last: dayBase}
	ev := &curriculum.Evidence{PersonID: person, HireDate: u.date()}
	if n := u.count(); n > 0 {
		ev.Credentials = make([]curriculum.CredentialRecord, n)
		for i := range ev.Credentials {
			ev.Credentials[i] = curriculum.CredentialRecord{Type: u.code(), IssuedOn: u.date(),
				ExpiresOn: u.date(), Verified: u.bool(), VerifiedOn: u.date(), RecordedOn: u.date()}
		}
	}
	if n := u.count(); n > 0 {
		ev.Performances = make([]curriculum.Performance, n)
		for i := range ev.Performances {
			flags := u.byte()
			var f curriculum.Performance
			f.Successful = flags&perfSuccessful != 0
			if flags&perfID != 0 {
				f.ID = u.text()
			}
			f.Competency, f.Variant, f.PerformedOn, f.RecordedOn = u.code(), u.code(), u.date(), u.date()
			if flags&perfSupersedes != 0 {
				f.Supersedes = u.text()
			}
			ev.Performances[i] = f
		}
	}
	if n := u.count(); n > 0 {
		ev.KnowledgeTests = make([]curriculum.KnowledgeResult, n)
		for i := range ev.KnowledgeTests {
			ev.KnowledgeTests[i] = curriculum.KnowledgeResult{Competency: u.code(), Score: u.score(),
				TakenOn: u.date(), RecordedOn: u.date()}
		}
	}
	if n := u.count(); n > 0 {
		ev.SignOffs = make([]curriculum.SignOff, n)
		for i := range ev.SignOffs {
			s := curriculum.SignOff{Competency: u.code(), Kind: curriculum.SignOffKind(u.code()), SignedOn: u.date(), RecordedOn: u.date()}
			if c := u.count(); c > 0 {
				s.Covered = make([]string, c)
				for j := range s.Covered {
					s.Covered[j] = u.code()
				}
			}
			s.RevokedFrom, s.RevocationRecordedOn, s.Paper = u.date(), u.date(), u.bool()
			ev.SignOffs[i] = s
		}
	}
	if n := u.count(); n > 0 {
		ev.Hours = make([]curriculum.HoursRecord, n)
		for i := range ev.Hours {
			ev.Hours[i] = curriculum.HoursRecord{Kind: curriculum.HoursKind(u.code()), Code: u.code(), WorkedOn: u.date(),
				Minutes: int(u.int()), RecordedOn: u.date()}
		}
	}
	if n := u.count(); n > 0 {
		ev.Holds = make([]curriculum.Hold, n)
		for i := range ev.Holds {
			ev.Holds[i] = curriculum.Hold{From: u.date(), Until: u.date()}
		}
	}
	if u.err != nil || len(u.b) != 0 {
		return nil, errPacked
	}
	return ev, nil
}
