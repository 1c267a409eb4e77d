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

// ScopePeople is the change stamp of what the HR dashboard reads about
// people rather than their records: names, disabled, licence types, roles,
// sites and the sites (migration 0030). While it stands still, a move of
// ScopeCredentials comes from people's records, each of which also bumps
// that person's decision stamp.
const ScopePeople = "people"

// ChangeStamps reads several change stamps in one statement, in the order
// of scopes (a missing row reads as 0).
func ChangeStamps(ctx context.Context, idb bun.IDB, scopes ...string) ([]int64, error) {
	var rows []struct {
		Scope   string `bun:"scope"`
		Version int64  `bun:"version"`
	}
	if err := idb.NewSelect().Table("change_stamps").Column("scope", "version").Where("scope IN (?)", bun.List(scopes)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read change stamps %v: %w", scopes, Translate(err))
	}
	out := make([]int64, len(scopes))
	for _, r := range rows {
		for i, sc := range scopes {
			if sc == r.Scope {
				out[i] = r.Version
			}
		}
	}
	return out, nil
}

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
