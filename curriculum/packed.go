package curriculum

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// Packed is one person's decisions on one day (what Evaluate returned) in
// a compact binary form: about a tenth of the memory of the []Decision it
// came from. Caches keep decisions this way so that every person of a
// large organisation fits (20,000 people × 25 tasks × several reasons is
// about 160 MB unpacked, under 30 MB packed). Only the Rules that packed
// it can unpack it.
type Packed []byte

// ErrPackedCorrupt is returned for bytes Pack did not produce.
var ErrPackedCorrupt = errors.New("packed decisions are corrupt or from other rules")

// Reason fields present, as bits of a reason's flag byte; its top two
// bits are the reason's Effect (Info to BlocksSupervised), so that the
// usual reason takes three bytes (code, flags, subject).
const (
	packDate = 1 << iota
	packHave
	packNeed
	packScore
	packMissing
	packVariant
	packEffectShift = iota
)

// Pack encodes decisions made by r.Evaluate (one per task, in task order,
// all on the same day). It panics on decisions that are not: packing is
// for caching, and caching a different answer must not be possible.
func (r *Rules) Pack(ds []Decision) Packed {
	if len(ds) != len(r.tasks) {
		panic(fmt.Sprintf("pack: %d decisions for %d tasks", len(ds), len(r.tasks)))
	}
	// Packed decisions are kept for long (a decision cache holds a whole
	// organisation's): they are built in a pooled buffer and copied at
	// their exact length, about a fifth less than the grown buffer.
	bp := packBuffers.Get().(*[]byte)
	b := (*bp)[:0]
	var asOf Date
	if len(ds) > 0 {
		asOf = ds[0].AsOf
	}
	b = binary.AppendVarint(b, int64(asOf.n))
	for i := range ds {
		d := &ds[i]
		if d.Task != r.tasks[i].def.Code || d.AsOf != asOf {
			panic(fmt.Sprintf("pack: decision %d is for %s on %s, want %s on %s", i, d.Task, d.AsOf, r.tasks[i].def.Code, asOf))
		}
		flags := byte(d.Status) << 2
		if d.Supervised {
			flags |= 1
		}
		if d.Indirect {
			flags |= 2
		}
		b = append(b, flags)
		// Days are written from asOf (a byte or two, not three): 0 for
		// none, else the days after it shifted so that asOf is not 0.
		lapses := int64(0)
		if d.LapsesOn.n != 0 {
			if lapses = int64(d.LapsesOn.n) - int64(asOf.n); lapses >= 0 {
				lapses++
			}
		}
		b = binary.AppendVarint(b, lapses)
		b = binary.AppendUvarint(b, uint64(len(d.Reasons)))
		for j := range d.Reasons {
			b = r.packReason(b, &d.Reasons[j], asOf)
		}
	}
	out := make(Packed, len(b))
	copy(out, b)
	*bp = b
	packBuffers.Put(bp)
	return out
}

// packBuffers are Pack's working buffers.
var packBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func (r *Rules) packReason(b []byte, rs *Reason, asOf Date) []byte {
	var flags byte
	if rs.Date.n != 0 {
		flags |= packDate
	}
	if rs.Have != 0 {
		flags |= packHave
	}
	if rs.Need != 0 {
		flags |= packNeed
	}
	if rs.Score != 0 {
		flags |= packScore
	}
	if rs.missing != 0 {
		flags |= packMissing
	}
	if rs.variant != 0 {
		flags |= packVariant
	}
	if rs.Effect > BlocksSupervised {
		panic(fmt.Sprintf("pack: a reason's effect %d is none of the engine's", rs.Effect))
	}
	flags |= byte(rs.Effect) << packEffectShift
	b = append(b, byte(rs.Code), flags)
	if rs.variant != 0 {
		b = append(b, rs.variant)
	}
	b = binary.AppendUvarint(b, r.subjectIndex(rs.about))
	if flags&packDate != 0 {
		b = binary.AppendVarint(b, int64(rs.Date.n)-int64(asOf.n))
	}
	if flags&packHave != 0 {
		b = binary.AppendVarint(b, int64(rs.Have))
	}
	if flags&packNeed != 0 {
		b = binary.AppendVarint(b, int64(rs.Need))
	}
	if flags&packScore != 0 {
		// Bytes reversed: a score with a short fraction (80, 92.5) has
		// its low bytes zero, so it takes two to four bytes, not eight.
		b = binary.AppendUvarint(b, bits.ReverseBytes64(math.Float64bits(rs.Score)))
	}
	if flags&packMissing != 0 {
		b = binary.AppendUvarint(b, rs.missing)
	}
	return b
}

// subjectIndex numbers what a reason is about: 0 nothing, 1.. the
// competencies, then the credential types. Subjects are the Rules' own
// (Evaluate points reasons at them), so a pointer comparison finds them.
func (r *Rules) subjectIndex(s *subject) uint64 {
	if s == nil {
		return 0
	}
	for i := range r.comps {
		if &r.comps[i].about == s {
			return uint64(1 + i)
		}
	}
	for i := range r.types {
		if &r.types[i].about == s {
			return uint64(1 + len(r.comps) + i)
		}
	}
	panic("pack: a reason is about a subject of other rules")
}

func (r *Rules) subjectAt(i uint64) (*subject, bool) {
	switch {
	case i == 0:
		return nil, true
	case i <= uint64(len(r.comps)):
		return &r.comps[i-1].about, true
	case i <= uint64(len(r.comps)+len(r.types)):
		return &r.types[i-1-uint64(len(r.comps))].about, true
	}
	return nil, false
}

// Unpack decodes every decision of p.
func (r *Rules) Unpack(p Packed) ([]Decision, error) {
	u := unpacker{r: r, b: p}
	asOf := u.date()
	out := make([]Decision, len(r.tasks))
	for i := range out {
		out[i] = u.decision(i, asOf, true)
	}
	if u.err != nil || len(u.b) != 0 {
		return nil, ErrPackedCorrupt
	}
	return out, nil
}

// UnpackTask decodes the decision for one task of p (false: no such task),
// skipping the others' reasons without building them.
func (r *Rules) UnpackTask(p Packed, task string) (Decision, bool, error) {
	ti, ok := r.taskIndex[task]
	if !ok {
		return Decision{}, false, nil
	}
	u := unpacker{r: r, b: p}
	asOf := u.date()
	for i := 0; i < int(ti); i++ {
		u.decision(i, asOf, false)
	}
	d := u.decision(int(ti), asOf, true)
	if u.err != nil {
		return Decision{}, false, ErrPackedCorrupt
	}
	return d, true, nil
}

type unpacker struct {
	r   *Rules
	b   []byte
	err error
}

func (u *unpacker) byte() byte {
	if len(u.b) == 0 {
		u.err = ErrPackedCorrupt
		return 0
	}
	c := u.b[0]
	u.b = u.b[1:]
	return c
}

func (u *unpacker) varint() int64 {
	v, n := binary.Varint(u.b)
	if n <= 0 {
		u.err = ErrPackedCorrupt
		return 0
	}
	u.b = u.b[n:]
	return v
}

func (u *unpacker) uvarint() uint64 {
	v, n := binary.Uvarint(u.b)
	if n <= 0 {
		u.err = ErrPackedCorrupt
		return 0
	}
	u.b = u.b[n:]
	return v
}

func (u *unpacker) date() Date {
	v := u.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		u.err = ErrPackedCorrupt
	}
	return Date{n: int32(v)}
}

// days is the day n days after asOf (Pack writes days from asOf).
func (u *unpacker) days(asOf Date, n int64) Date {
	v := int64(asOf.n) + n
	if v < math.MinInt32 || v > math.MaxInt32 {
		u.err = ErrPackedCorrupt
	}
	return Date{n: int32(v)}
}

// decision reads task i's decision; with build false it only skips it.
func (u *unpacker) decision(i int, asOf Date, build bool) Decision {
	flags := u.byte()
	d := Decision{Task: u.r.tasks[i].def.Code, AsOf: asOf, Status: Status(flags >> 2), Supervised: flags&1 != 0, Indirect: flags&2 != 0}
	if v := u.varint(); v != 0 {
		if v > 0 {
			v--
		}
		d.LapsesOn = u.days(asOf, v)
	}
	n := u.uvarint()
	if n > uint64(len(u.b)) { // each reason takes several bytes
		u.err = ErrPackedCorrupt
		return Decision{}
	}
	if build && n > 0 {
		d.Reasons = make([]Reason, n)
	}
	for j := uint64(0); j < n && u.err == nil; j++ {
		var rs Reason
		rs.Code = ReasonCode(u.byte())
		f := u.byte()
		rs.Effect = Effect(f >> packEffectShift)
		if f&packVariant != 0 {
			if rs.variant = u.byte(); rs.variant == 0 {
				u.err = ErrPackedCorrupt
			}
		}
		about, ok := u.r.subjectAt(u.uvarint())
		if !ok {
			u.err = ErrPackedCorrupt
		}
		rs.about = about
		if f&packDate != 0 {
			rs.Date = u.days(asOf, u.varint())
		}
		if f&packHave != 0 {
			rs.Have = int(u.varint())
		}
		if f&packNeed != 0 {
			rs.Need = int(u.varint())
		}
		if f&packScore != 0 {
			rs.Score = math.Float64frombits(bits.ReverseBytes64(u.uvarint()))
		}
		if f&packMissing != 0 {
			rs.missing = u.uvarint()
		}
		if build {
			d.Reasons[j] = rs
		}
	}
	return d
}
