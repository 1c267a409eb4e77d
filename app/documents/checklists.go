package documents

import (
	"fmt"

	"github.com/skillgate/skillgate/curriculum"
)

// ChecklistsPDF prints blank checklists of the competencies of p (every
// one with a checklist when codes is empty), one competency per page, for
// use when the EHR or the network is down: boxes for each step, critical
// steps marked, and a place for the preceptor's printed name, credential,
// signature and date. version is the program version's number.
func ChecklistsPDF(p *curriculum.Program, version int, codes []string, st Stamp) ([]byte, error) {
	d := newDoc(fmt.Sprintf("Blank checklists: %s, version %d", p.Title, version), st)
	d.footnote = "Paper record: transcribe it into Skillgate once the system is back. Critical steps (★) cannot be missed."
	want := map[string]bool{}
	for _, c := range codes {
		want[c] = true
	}
	for i := range p.Competencies {
		c := &p.Competencies[i]
		if len(want) > 0 && !want[c.Code] {
			continue
		}
		d.checklist(p, version, c)
	}
	if d.PageCount() == 0 {
		d.AddPage()
		d.para("No competency to print.")
	}
	return d.bytes()
}

func (d *doc) checklist(p *curriculum.Program, version int, c *curriculum.Competency) {
	d.AddPage()
	d.heading(14, c.Title+" ("+c.Code+")")
	cv := c.ChecklistVersion
	if cv == 0 {
		cv = 1
	}
	d.SetFont(family, "", 8)
	d.para(fmt.Sprintf("%s, version %d · checklist version %d · %s", p.Title, version, cv, c.Domain))
	if c.Description != "" {
		d.para(c.Description)
	}
	d.Ln(2)
	d.SetFont(family, "", 9)
	d.blank("Apprentice", "Date performed", "Site")
	if len(c.Performances) > 1 || len(c.Performances) == 1 && c.Performances[0].Variant != "" {
		s := "Kind (tick one):"
		for _, pr := range c.Performances {
			label := pr.Title
			if label == "" {
				label = pr.Variant
			}
			s += "  ☐ " + label
		}
		d.para(s)
	}
	d.Ln(2)
	t := d.table(9, column{10, "#"}, column{125.9, "Step (★ critical: missing it fails the attempt)"}, column{25, "Met"}, column{25, "Not met"})
	for i, s := range c.Checklist {
		text := s.Text
		if s.Critical {
			text = "★ CRITICAL — " + text
		}
		t.row(fmt.Sprint(i+1), text, "☐", "☐")
	}
	if len(c.Checklist) == 0 {
		d.para("This competency has no checklist steps.")
	}
	d.Ln(3)
	d.para("Outcome:  ☐ Successful    ☐ Unsuccessful (a critical step was not met)")
	d.Ln(1)
	d.para("Comments:")
	for range 2 {
		d.Ln(6)
		d.Line(margin, d.GetY(), pageW-margin, d.GetY())
	}
	d.Ln(4)
	d.heading(10, "Preceptor")
	d.blank("Printed name", "Credential (MD, RN, CMA…)")
	d.blank("Signature", "Date and time")
	d.SetFont(family, "", 7)
	d.para("By signing I attest that I observed this performance and that the boxes record it truly. Until it is transcribed, this paper is the only record: keep it.")
}

// blank writes labelled lines to fill in by hand, side by side.
func (d *doc) blank(labels ...string) {
	w := bodyW / float64(len(labels))
	if d.GetY()+12 > d.pageBottom() {
		d.AddPage()
	}
	y := d.GetY() + 8
	for i, l := range labels {
		x := margin + float64(i)*w
		d.Line(x, y, x+w-4, y)
		d.SetXY(x, y+0.5)
		d.SetFont(family, "", 7)
		d.CellFormat(w-4, 3.5, l, "", 0, "L", false, 0, "")
	}
	d.SetFont(family, "", 9)
	d.SetXY(margin, y+5)
}
