package db_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// IDs selects exactly the listed rows, whether the list is empty, holds
// quotes, or is longer than the engines' limits on bound parameters.
func TestIDsSelectsTheListedRows(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		names := []string{"a", "b", "O'Brien clinic", "d"}
		for i, n := range names {
			if _, err := d.NewRaw("INSERT INTO sites (id, name, created_at) VALUES (?, ?, ?)", fmt.Sprint("s", i), n, now).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		long := make([]string, 70000)
		for i := range long {
			long[i] = fmt.Sprint("missing", i)
		}
		long = append(long, "s3")
		for _, c := range []struct {
			ids  []string
			want []string
		}{
			{nil, nil},
			{[]string{}, nil},
			{[]string{"s2", "s0", "nobody"}, []string{"O'Brien clinic", "a"}},
			{long, []string{"d"}},
		} {
			var got []string
			if err := d.NewRaw("SELECT name FROM sites WHERE id IN (?) ORDER BY name", db.IDs(c.ids)).Scan(ctx, &got); err != nil {
				t.Fatalf("%d ids: %v", len(c.ids), err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%d ids: got %q, want %q", len(c.ids), got, c.want)
			}
		}
	})
}
