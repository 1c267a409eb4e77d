package curriculum

import "testing"

// A paper sign-off transcribed from historical records counts only for a
// competency whose program allows paper sign-offs; the file format says
// so with paper_sign_offs: allowed, and refuses other values.
func TestPaperSignOffCountsOnlyWhereAllowed(t *testing.T) {
	paper := with(veniReady(), func(e *Evidence) { e.SignOffs[1].Paper = true })
	dec, err := mustCompile(t, testVersion()).EvaluateTask(&paper, "VENI", d("2026-03-14"))
	if err != nil {
		t.Fatal(err)
	}
	if dec.Status != DirectSupervision || codesOf(dec)[0] != "signoff_missing" {
		t.Fatalf("paper sign-off where the program wants e-signatures: %s %q", dec.Status, dec.Messages())
	}
	v := testVersion()
	v.Program.Competency("PHL-VENI").PaperSignOffs = PaperAllowed
	if dec, _ = mustCompile(t, v).EvaluateTask(&paper, "VENI", d("2026-03-14")); dec.Status != Cleared {
		t.Fatalf("paper sign-off where the program allows it: %s %q", dec.Status, dec.Messages())
	}
	v.Program.Competency("PHL-VENI").PaperSignOffs = "sometimes"
	if _, err := Compile(v); err == nil {
		t.Fatal("paper_sign_offs: sometimes was accepted")
	}
}
