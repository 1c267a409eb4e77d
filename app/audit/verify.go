package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Problem is the first place where the chain does not hold.
type Problem struct {
	// Seq is the place in the chain (chain_seq) of the entry that was
	// altered, removed or inserted.
	Seq int64
	// Kind is "altered", "removed" or "inserted".
	Kind string
	// Detail explains what does not match, for the operator.
	Detail string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("audit trail broken at entry %d (%s): %s", p.Seq, p.Kind, p.Detail)
}

// Anchor is an entry's place in the chain (chain_seq) and hash noted down
// outside the database (from an earlier verify), so that a later verify can
// tell that the entries up to it were neither removed from the end nor
// rewritten wholesale. The chain is one order of every entry, so one
// anchor covers the whole trail up to it.
type Anchor struct {
	Seq  int64
	Hash string
}

// ParseAnchor reads "seq:hash" as printed by verify.
func ParseAnchor(s string) (Anchor, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 1 || len(hash) != 64 {
		return Anchor{}, fmt.Errorf("anchor %q: want SEQ:HASH as printed by skillgate audit verify", s)
	}
	return Anchor{Seq: n, Hash: strings.ToLower(hash)}, nil
}

func (a Anchor) String() string { return fmt.Sprintf("%d:%s", a.Seq, a.Hash) }

// Report is what Verify found.
type Report struct {
	// Entries is how many entries were checked.
	Entries int64
	// Head is the newest entry (zero when the trail is empty).
	Head Anchor
	// Problem is the first break, or nil when the chain holds.
	Problem *Problem
	// Waiting is how many committed entries were not chained yet (the
	// sealer chains them within moments; see Seal), and OldestWaiting the
	// time of the oldest. They are not covered by the check.
	Waiting       int64
	OldestWaiting time.Time
}

// VerifyBatch is how many entries Verify reads per query.
const VerifyBatch = 2000

// Verify walks the whole chain in chain order, a batch at a time (memory does
// not grow with the trail), and reports the first entry that was altered
// (its hash does not match its content), removed (a gap in seq, or an
// anchor's entry gone) or inserted (an entry its successor does not chain
// to). anchors, when given, must still be in the chain with the same hash.
func Verify(ctx context.Context, idb bun.IDB, anchors ...Anchor) (Report, error) {
	var rep Report
	want := map[int64]string{}
	var lastAnchor int64
	for _, a := range anchors {
		want[a.Seq] = a.Hash
		lastAnchor = max(lastAnchor, a.Seq)
	}
	var prev Record // zero: before the first entry
	for {
		var batch []Record
		if err := idb.NewSelect().Model(&batch).Where("chain_seq > ?", pos(&prev)).OrderExpr("chain_seq ASC").Limit(VerifyBatch).Scan(ctx); err != nil {
			return rep, fmt.Errorf("read audit trail after entry %d: %w", pos(&prev), err)
		}
		for i := range batch {
			r := &batch[i]
			if p := check(&prev, r); p != nil {
				rep.Problem = p
				return rep, nil
			}
			if h, ok := want[pos(r)]; ok && h != r.Hash {
				rep.Problem = &Problem{Seq: pos(r), Kind: "altered", Detail: fmt.Sprintf("its hash is %s but the anchor recorded %s: the entries up to it were rewritten", r.Hash, h)}
				return rep, nil
			}
			rep.Entries++
			prev = *r
		}
		if len(batch) < VerifyBatch {
			break
		}
	}
	rep.Head = Anchor{Seq: pos(&prev), Hash: prev.Hash}
	if lastAnchor > pos(&prev) {
		rep.Problem = &Problem{Seq: pos(&prev) + 1, Kind: "removed",
			Detail: fmt.Sprintf("the trail ends at entry %d but an anchor names entry %d: the newest entries were removed", pos(&prev), lastAnchor)}
	}
	var oldest []time.Time
	n, err := idb.NewSelect().Model((*Record)(nil)).Column("at").Where("chain_seq IS NULL").OrderExpr("seq ASC").Limit(1).ScanAndCount(ctx, &oldest)
	if err != nil {
		return rep, fmt.Errorf("count audit entries waiting to be chained: %w", err)
	}
	rep.Waiting = int64(n)
	if len(oldest) > 0 {
		rep.OldestWaiting = oldest[0]
	}
	return rep, nil
}

// pos is r's place in the chain (0 for the zero Record before the first).
func pos(r *Record) int64 {
	if r.ChainSeq == nil {
		return 0
	}
	return *r.ChainSeq
}

// check says what is wrong with r coming after prev (place 0: first).
// Entries are named by their place in the chain.
func check(prev, r *Record) *Problem {
	p, q := pos(prev), pos(r)
	if !r.hashHolds() {
		return &Problem{Seq: q, Kind: "altered", Detail: fmt.Sprintf("its content does not match its hash (entry id %d)", r.Seq)}
	}
	if q != p+1 {
		return &Problem{Seq: p + 1, Kind: "removed",
			Detail: fmt.Sprintf("entry %d follows entry %d: entries %d–%d are missing", q, p, p+1, q-1)}
	}
	if r.PrevHash != prev.Hash {
		if p == 0 {
			return &Problem{Seq: q, Kind: "inserted", Detail: "the first entry does not start the chain"}
		}
		return &Problem{Seq: p, Kind: "inserted",
			Detail: fmt.Sprintf("entry %d does not chain to entry %d (it names a different previous hash): entry %d was inserted or replaced", q, p, p)}
	}
	return nil
}
