package curriculum

import (
	"reflect"
	"testing"
)

// TestPackRoundTrip packs the decisions of a synthetic organisation (every
// stage, every kind of reason) on several days and checks that unpacking
// gives them back exactly, whole and task by task, and that packed
// decisions are much smaller than the structs.
func TestPackRoundTrip(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	rules := mustCompile(t, v)
	people := withHoldsAndVerifications(syntheticOrganisation(&v.Program, 400))
	codes := map[ReasonCode]bool{}
	packedBytes, reasons, decisions := 0, 0, 0
	for _, asOf := range []Date{d("2026-11-15"), d("2025-06-01"), d("2027-03-01")} {
		for i := range people {
			ds := rules.Evaluate(&people[i], asOf)
			p := rules.Pack(ds)
			got, err := rules.Unpack(p)
			if err != nil {
				t.Fatalf("person %d: %v", i, err)
			}
			if !reflect.DeepEqual(got, ds) {
				t.Fatalf("person %d on %s: unpacked\n%+v\nwant\n%+v", i, asOf, got, ds)
			}
			for j := range ds {
				one, ok, err := rules.UnpackTask(p, ds[j].Task)
				if err != nil || !ok || !reflect.DeepEqual(one, ds[j]) {
					t.Fatalf("person %d task %s: %+v %v %v, want %+v", i, ds[j].Task, one, ok, err, ds[j])
				}
				for _, rs := range ds[j].Reasons {
					codes[rs.Code] = true
				}
				reasons += len(ds[j].Reasons)
			}
			decisions += len(ds)
			packedBytes += len(p)
		}
	}
	if len(codes) < 8 || !codes[ReasonOnHold] || !codes[ReasonCredentialUnverified] {
		t.Fatalf("the synthetic organisation gave only %d kinds of reason (%v); the round trip proves little", len(codes), codes)
	}
	// The structs take at least 56 bytes a decision and 48 a reason.
	t.Logf("%d decisions, %d reasons: %d bytes packed, at least %d unpacked", decisions, reasons, packedBytes, decisions*56+reasons*48)
	if unpacked := decisions*56 + reasons*48; packedBytes*4 > unpacked {
		t.Fatalf("packed %d bytes against %d unpacked: less than 4 times smaller", packedBytes, unpacked)
	}
	if _, ok, err := rules.UnpackTask(rules.Pack(rules.Evaluate(&people[0], d("2026-11-15"))), "NO-SUCH-TASK"); ok || err != nil {
		t.Fatalf("unknown task: ok %v, err %v", ok, err)
	}
}

// TestUnpackRefusesDamagedBytes: every truncation of packed decisions,
// and bytes from other rules, give ErrPackedCorrupt, never a panic or a
// wrong answer.
func TestUnpackRefusesDamagedBytes(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	rules := mustCompile(t, v)
	people := syntheticOrganisation(&v.Program, 50)
	p := rules.Pack(rules.Evaluate(&people[len(people)-1], d("2026-11-15")))
	for n := 0; n < len(p); n++ {
		if _, err := rules.Unpack(p[:n]); err != ErrPackedCorrupt {
			t.Fatalf("truncated to %d of %d bytes: err %v", n, len(p), err)
		}
	}
	if _, err := rules.Unpack(append(p[:len(p):len(p)], 0)); err != ErrPackedCorrupt {
		t.Fatalf("a trailing byte: err %v", err)
	}
	v.Program.Tasks = v.Program.Tasks[:3]
	fewer := mustCompile(t, v)
	if _, err := fewer.Unpack(p); err != ErrPackedCorrupt {
		t.Fatalf("decisions of 25 tasks unpacked by rules of 3: err %v", err)
	}
}

// FuzzUnpack: arbitrary bytes never panic.
func FuzzUnpack(f *testing.F) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		f.Fatal(err)
	}
	rules := mustCompile(f, v)
	people := withHoldsAndVerifications(syntheticOrganisation(&v.Program, 20))
	for i := range people {
		f.Add([]byte(rules.Pack(rules.Evaluate(&people[i], d("2026-11-15")))))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := rules.Unpack(b)
		if err == nil && len(ds) != len(v.Program.Tasks) {
			t.Fatalf("%d decisions for %d tasks", len(ds), len(v.Program.Tasks))
		}
		_, _, _ = rules.UnpackTask(b, v.Program.Tasks[len(v.Program.Tasks)-1].Code)
	})
}

// withHoldsAndVerifications adds what decisions as of a day depend on
// beyond the benchmark's evidence: holds (one open, one ended) and
// credentials verified on a day. It uses no random numbers, so the
// benchmark's organisation stays the same.
func withHoldsAndVerifications(people []Evidence) []Evidence {
	for i := range people {
		e := &people[i]
		switch i % 7 {
		case 1:
			e.Holds = []Hold{{From: e.HireDate.AddDays(200)}}
		case 2:
			e.Holds = []Hold{{From: e.HireDate.AddDays(30), Until: e.HireDate.AddDays(400)}}
		}
		if i%5 == 3 {
			for j := range e.Credentials {
				e.Credentials[j].VerifiedOn = e.Credentials[j].IssuedOn.AddDays(300)
			}
		}
	}
	return people
}

// Packed decisions hold no spare capacity: a cache keeps a whole
// organisation's, and the buffer they are built in grows past what they
// need.
func TestPackedKeepsNoSpareCapacity(t *testing.T) {
	v, err := MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	rules := mustCompile(t, v)
	for i, e := range syntheticOrganisation(&v.Program, 50) {
		p := rules.Pack(rules.Evaluate(&e, d("2026-11-15")))
		if cap(p) != len(p) {
			t.Fatalf("person %d: %d bytes packed in %d", i, len(p), cap(p))
		}
	}
}
