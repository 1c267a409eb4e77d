package credentials

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// readCSV feeds each record of a CSV file to emit with its row number as a
// spreadsheet shows it. encoding/csv skips blank lines and joins quoted
// fields that span lines, so the row number is the record's first line
// minus the extra lines earlier multi-line records used.
func readCSV(data []byte, emit func(row int, cells []string) error) error {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")) // Excel's "CSV UTF-8" starts with a BOM
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: the CSV file is not UTF-8 text; in Excel choose File > Save As > CSV UTF-8", ErrUnreadable)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = sniffDelimiter(data)
	r.FieldsPerRecord = -1
	extra := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("%w: the CSV is malformed near line %d (%v); check quote marks in that row", ErrUnreadable, pe.StartLine, pe.Err)
			}
			return fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
		first, _ := r.FieldPos(0)
		last, _ := r.FieldPos(len(rec) - 1)
		end := last + strings.Count(rec[len(rec)-1], "\n")
		row := first - extra
		extra += end - first
		if err := emit(row, rec); err != nil {
			return err
		}
	}
}

// sniffDelimiter picks ',' unless the header line clearly uses ';' or tabs
// (Excel in some locales, and copies from other tools).
func sniffDelimiter(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	c, s, t := bytes.Count(line, []byte(",")), bytes.Count(line, []byte(";")), bytes.Count(line, []byte("\t"))
	switch {
	case s > c && s >= t:
		return ';'
	case t > c && t > s:
		return '\t'
	}
	return ','
}

// readXLSX reads the first worksheet of a workbook, after checking the
// archive (see checkArchive). Cells are read raw: excelize otherwise
// returns dates formatted by the cell's number format (often with a
// two-digit year), and raw values give the Excel serial instead. Formulas
// are never evaluated; a formula cell gives its saved result, if any.
func readXLSX(data []byte, p *Preview) (err error) {
	if err := checkArchive(data); err != nil {
		return err
	}
	// excelize is not written for hostile input: a malformed file must be an
	// error for the user, never a crashed server.
	defer func() {
		if r := recover(); r != nil {
			err = damaged(fmt.Errorf("%v", r))
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxUncompressed,
		UnzipXMLSizeLimit: min(maxUncompressed, 16<<20),
	})
	if err != nil {
		return damaged(err)
	}
	defer f.Close()
	p.mode = serial1900
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		p.mode = serial1904
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return fmt.Errorf("%w: the workbook has no worksheets", ErrUnreadable)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return damaged(fmt.Errorf("worksheet %q: %w", sheets[0], err))
	}
	defer rows.Close()
	raw := excelize.Options{RawCellValue: true}
	// Rows.Next steps one row number at a time, yielding empty rows for the
	// gaps, so counting calls gives the row number Excel shows.
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns(raw)
		if err != nil {
			return damaged(fmt.Errorf("row %d: %w", n, err))
		}
		if err := p.addRow(n, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return damaged(err)
	}
	return nil
}

// damaged wraps an excelize error for the person who uploaded the file.
func damaged(err error) error {
	return fmt.Errorf("%w: the workbook is damaged or not a real Excel file (%v); open it in Excel and save it again, or save it as CSV", ErrUnreadable, err)
}
