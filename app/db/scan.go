package db

import (
	"fmt"
	"time"
)

// Time scans a timestamp column into a time.Time without bun's reflection
// (for hot reads that scan with database/sql directly), as either driver
// gives it: a time.Time (pgdriver, and SQLite when it recognises the
// text), or the text SQLite holds. NULL leaves Valid false.
type Time struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (v *Time) Scan(src any) error {
	var text string
	switch x := src.(type) {
	case nil:
		*v = Time{}
		return nil
	case time.Time:
		*v = Time{Time: x, Valid: true}
		return nil
	case string:
		text = x
	case []byte:
		text = string(x)
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, text); err == nil {
			*v = Time{Time: t, Valid: true}
			return nil
		}
	}
	return fmt.Errorf("cannot read %q as a time", text)
}

// timeLayouts are the forms SQLite may hold a timestamp in: bun writes the
// first.
var timeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}
