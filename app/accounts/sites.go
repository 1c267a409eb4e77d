package accounts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/db"
)

// Site is one clinic of the organisation.
type Site struct {
	bun.BaseModel `bun:"table:sites"`
	ID            string    `bun:"id,pk"`
	Name          string    `bun:"name"`
	Timezone      string    `bun:"timezone"`
	CreatedAt     time.Time `bun:"created_at"`
}

// CreateSite adds a clinic; names are unique.
func (s *Store) CreateSite(ctx context.Context, name string) (*Site, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("create site: a name is required")
	}
	site := &Site{ID: NewID(), Name: name, CreatedAt: s.now()}
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(site).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, ActionSiteCreate, "site", site.ID, nil, map[string]any{"name": site.Name})
	})
	if err != nil {
		return nil, fmt.Errorf("create site %q: %w", name, db.Translate(err))
	}
	return site, nil
}

// Sites lists every clinic by name.
func (s *Store) Sites(ctx context.Context) ([]Site, error) {
	var out []Site
	err := s.DB.NewSelect().Model(&out).Order("name").Scan(ctx)
	return out, db.Translate(err)
}
