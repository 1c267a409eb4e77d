package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// ScopeCredentials is the change stamp of everything the HR dashboard is
// computed from: credentials, enrollments and moves, people (name,
// disabled, licence type), their roles and sites, and the sites
// (migration 0011).
const ScopeCredentials = "credentials"

// ChangeStamp reads the counter that database triggers bump, in the
// writer's transaction, on every write within scope (table change_stamps).
// Equal stamps mean nothing in scope was committed in between, whichever
// instance or tool wrote; a missing row reads as 0. Read the stamp before
// the data it guards, so what is read is never older than the stamp it is
// filed under.
func ChangeStamp(ctx context.Context, idb bun.IDB, scope string) (int64, error) {
	var v int64
	err := idb.NewSelect().Table("change_stamps").Column("version").Where("scope = ?", scope).Scan(ctx, &v)
	if err != nil {
		if err = Translate(err); errors.Is(err, ErrNotFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("read change stamp %q: %w", scope, err)
	}
	return v, nil
}
