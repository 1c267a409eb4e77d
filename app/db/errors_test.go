package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
)

// Two writers that take the same two rows in opposite orders: PostgreSQL
// ends one of them as deadlocked, and that must read as ErrUnavailable
// (try again: nothing was written), not as an unexplained failure; SQLite
// takes its write lock at BEGIN, so the second writer waits for the first
// and both commit.
func TestDeadlockedWriterIsUnavailable(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// kv_store: no triggers, so the two rows are all the writers share.
		if _, err := d.ExecContext(ctx, "INSERT INTO kv_store (k, v) VALUES ('a', ''), ('b', '')"); err != nil {
			t.Fatal(err)
		}
		first, err := d.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Rollback()
		if _, err := first.ExecContext(ctx, "UPDATE kv_store SET v = 'first' WHERE k = 'a'"); err != nil {
			t.Fatal(err)
		}
		second := make(chan error, 1)
		secondTookB := make(chan struct{})
		go func() {
			second <- func() error {
				tx, err := d.BeginTx(ctx, nil) // SQLite: waits here for first
				if err != nil {
					return err
				}
				defer tx.Rollback()
				if _, err := tx.ExecContext(ctx, "UPDATE kv_store SET v = 'second' WHERE k = 'b'"); err != nil {
					return err
				}
				close(secondTookB)
				if _, err := tx.ExecContext(ctx, "UPDATE kv_store SET v = 'second' WHERE k = 'a'"); err != nil {
					return err
				}
				return tx.Commit()
			}()
		}()
		if d.Engine == db.Postgres {
			select {
			case <-secondTookB:
			case err := <-second:
				t.Fatalf("second writer: %v", err)
			}
		}
		errFirst := func() error {
			if _, err := first.ExecContext(ctx, "UPDATE kv_store SET v = 'first' WHERE k = 'b'"); err != nil {
				return err
			}
			return first.Commit()
		}()
		if errFirst != nil {
			_ = first.Rollback() // let the second writer go on
		}
		errSecond := <-second
		switch d.Engine {
		case db.Postgres:
			failed, ok := errFirst, errSecond
			if failed == nil {
				failed, ok = errSecond, errFirst
			}
			if failed == nil || ok != nil {
				t.Fatalf("one writer must be ended as deadlocked: first %v, second %v", errFirst, errSecond)
			}
			if !errors.Is(db.Translate(failed), db.ErrUnavailable) {
				t.Fatalf("deadlock read as %v, want ErrUnavailable", db.Translate(failed))
			}
		default:
			if errFirst != nil || errSecond != nil {
				t.Fatalf("SQLite serialises writers; got %v and %v", errFirst, errSecond)
			}
		}
	})
}
