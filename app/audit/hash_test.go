package audit

import "testing"

// Entries written before chain places existed (hash v1, place = id) still
// verify; the v1 hash is accepted for no other place.
func TestEntriesHashedBeforeChainPlacesStillHold(t *testing.T) {
	seven := int64(7)
	r := Record{Seq: 7, ChainSeq: &seven, Actor: "p-1", Action: "a.b", EntityType: "a", After: `{"n":1}`, PrevHash: "ab"}
	r.Hash = r.hashV1()
	if !r.hashHolds() {
		t.Fatal("a v1 entry at its own place does not hold")
	}
	eight := int64(8)
	r.ChainSeq = &eight
	if r.hashHolds() {
		t.Fatal("a v1 entry moved to another place holds")
	}
	r.Hash = r.ComputeHash()
	if !r.hashHolds() {
		t.Fatal("a v2 entry does not hold")
	}
	r.After = `{"n":2}`
	if r.hashHolds() {
		t.Fatal("an edited v2 entry holds")
	}
}
