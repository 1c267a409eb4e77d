package sso

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/sso/groupmap"
)

// Settings are what an administrator decides about single sign-on.
type Settings struct {
	Mapping groupmap.Map
	// IdPIsSource: at each sign-in a linked person's name, roles and sites
	// follow the provider's claims and the mapping.
	IdPIsSource bool
	// Saved is whether an administrator saved these (else the mapping is
	// SKILLGATE_SSO_GROUP_MAP's); By and At say who and when.
	Saved bool
	By    string
	At    time.Time
}

type settingsRow struct {
	bun.BaseModel `bun:"table:sso_settings"`
	ID            int       `bun:"id,pk"`
	GroupMap      string    `bun:"group_map"`
	IdPIsSource   bool      `bun:"idp_is_source"`
	UpdatedBy     string    `bun:"updated_by"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

type settingsView struct {
	Mapping     string `json:"group_map"`
	IdPIsSource bool   `json:"idp_is_source"`
}

// Settings returns the settings in force.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var row settingsRow
	err := db.Translate(s.DB.NewSelect().Model(&row).Where("id = 1").Scan(ctx))
	if errors.Is(err, db.ErrNotFound) {
		return Settings{Mapping: s.Mapping}, nil
	}
	if err != nil {
		return Settings{}, err
	}
	m, err := groupmap.Parse(row.GroupMap)
	if err != nil {
		return Settings{}, err
	}
	return Settings{Mapping: m, IdPIsSource: row.IdPIsSource, Saved: true, By: row.UpdatedBy, At: row.UpdatedAt}, nil
}

// SaveSettings records an administrator's mapping and choice, audited in
// the same transaction; by is their id.
func (s *Service) SaveSettings(ctx context.Context, m groupmap.Map, idpIsSource bool, by string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		before, err := (&Service{DB: tx, Mapping: s.Mapping}).Settings(ctx)
		if err != nil {
			return err
		}
		row := &settingsRow{ID: 1, GroupMap: m.String(), IdPIsSource: idpIsSource, UpdatedBy: by, UpdatedAt: s.now()}
		if _, err := tx.NewInsert().Model(row).On("CONFLICT (id) DO UPDATE").
			Set("group_map = EXCLUDED.group_map, idp_is_source = EXCLUDED.idp_is_source, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at").
			Exec(ctx); err != nil {
			return db.Translate(err)
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionSettings, EntityType: "sso", EntityID: "settings",
			Before: settingsView{Mapping: before.Mapping.String(), IdPIsSource: before.IdPIsSource},
			After:  settingsView{Mapping: m.String(), IdPIsSource: idpIsSource}})
	})
}
