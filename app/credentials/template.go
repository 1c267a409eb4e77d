package credentials

import (
	"bytes"
	"encoding/csv"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// Template returns a downloadable import template in format: the header
// row and one example row; the .xlsx template adds an Instructions sheet
// describing each column. In the .xlsx template every column is formatted
// as text, so Excel keeps leading zeros in employee ids and does not turn
// "01/2028" (a card valid through January 2028) into 1 January 2028.
//
// site is the example row's clinic: one of the organisation's, so the
// example imports as it stands ("" keeps the layout's).
func Template(format Format, site string) ([]byte, error) {
	example := make([]string, len(Columns))
	for i, c := range Columns {
		example[i] = c.Example
		if c.Name == colSite && site != "" {
			example[i] = site
		}
	}
	return sheet(format, [][]string{example})
}

// sheet writes rows under the layout's header as CSV or as the .xlsx
// template (text columns and the Instructions sheet).
func sheet(format Format, rows [][]string) ([]byte, error) {
	header := make([]string, len(Columns))
	for i, c := range Columns {
		header[i] = c.Name
	}
	switch format {
	case FormatCSV:
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write(header)
		_ = w.WriteAll(rows)
		w.Flush()
		return b.Bytes(), w.Error()
	case FormatXLSX:
		return xlsxTemplate(header, rows)
	}
	return nil, fmt.Errorf("template: unknown format %q (use csv or xlsx)", format)
}

func xlsxTemplate(header []string, rows [][]string) (out []byte, err error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet, help = "Import", "Instructions"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		return nil, err
	}
	last, _ := excelize.ColumnNumberToName(len(header))
	steps := []func() error{
		func() error { return f.SetColStyle(sheet, "A:"+last, text) },
		func() error { return f.SetColWidth(sheet, "A", last, 22) },
		func() error { return f.SetSheetRow(sheet, "A1", &header) },
		func() error { return f.SetRowStyle(sheet, 1, 1, bold) },
		func() error {
			return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
		},
	}
	for i := range rows {
		cell := fmt.Sprintf("A%d", i+2)
		steps = append(steps, func() error { return f.SetSheetRow(sheet, cell, &rows[i]) })
	}
	if _, err := f.NewSheet(help); err != nil {
		return nil, err
	}
	steps = append(steps,
		func() error {
			return f.SetSheetRow(help, "A1", &[]string{"Column", "Required", "What to write", "Example"})
		},
		func() error { return f.SetRowStyle(help, 1, 1, bold) },
		func() error { return f.SetColWidth(help, "A", "A", 26) },
		func() error { return f.SetColWidth(help, "C", "C", 90) },
		func() error { return f.SetColWidth(help, "D", "D", 28) },
	)
	for i, c := range Columns {
		req := ""
		if c.Required {
			req = "yes"
		}
		row := []string{c.Name, req, c.Help, c.Example}
		cell := fmt.Sprintf("A%d", i+2)
		steps = append(steps, func() error { return f.SetSheetRow(help, cell, &row) })
	}
	notes := []string{
		"One row per person and credential. A person with several credentials takes several rows with the same employee_id; name, email, role and site may then be left blank after the first.",
		"People are matched on employee_id, else on email (the preview says which); someone matched by email who has no employee id in Skillgate gets the file's. New people are created without a password; send them a set-password link from the People page. People already in Skillgate are never changed by an import.",
		"A credential already on file (same person, type, number, issue and expiry dates) is not added twice, so uploading the same file again changes nothing.",
		"Renewals: download the roster (Import page), change the number and dates of the renewed cards, and upload it; the unchanged rows are already there. The roster leaves verified blank: write yes only after checking the new card.",
		fmt.Sprintf("Skillgate shows every problem with its row and column before anything is saved, and saves all rows or none. At most %d rows per file.", MaxRows),
	}
	for i, n := range notes {
		cell := fmt.Sprintf("A%d", len(Columns)+3+i)
		steps = append(steps, func() error { return f.SetCellStr(help, cell, n) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("template: %w", err)
		}
	}
	f.SetActiveSheet(0)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return b.Bytes(), nil
}
