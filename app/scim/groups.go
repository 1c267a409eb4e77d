package scim

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/scim2/filter-parser/v2"
	"github.com/uptrace/bun"

	"github.com/skillgate/skillgate/app/accounts"
	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/db"
)

// group is an IdP group (scim_groups).
type group struct {
	bun.BaseModel `bun:"table:scim_groups"`
	ID            string    `bun:"id,pk"`
	DisplayName   string    `bun:"display_name"`
	ExternalID    *string   `bun:"external_id"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// member is one person in a group (scim_group_members).
type member struct {
	bun.BaseModel `bun:"table:scim_group_members"`
	GroupID       string `bun:"group_id,pk"`
	UserID        string `bun:"user_id,pk"`
}

// groupState is a group with its members' ids, sorted: what a change
// starts from and ends with, and what the audit trail shows.
type groupState struct {
	DisplayName string   `json:"display_name"`
	ExternalID  *string  `json:"external_id"`
	Members     []string `json:"members"`
}

// groupHandler serves /Groups. A group's displayName is looked up in the
// SSO group mapping: when a mapped group gains or loses a member, or is
// renamed or deleted, its members' roles and sites become what all their
// groups grant (regrant). Unmapped groups are kept, so the IdP can manage
// them, and change nobody's roles.
type groupHandler struct{ s *Service }

var _ scim.ResourceHandler = (*groupHandler)(nil)

func (h *groupHandler) load(ctx context.Context, idb bun.IDB, id string) (*group, groupState, error) {
	var g group
	if err := idb.NewSelect().Model(&g).Where("id = ?", id).Scan(ctx); err != nil {
		if err = db.Translate(err); err == db.ErrNotFound {
			return nil, groupState{}, scimerrors.ScimErrorResourceNotFound(id)
		}
		return nil, groupState{}, err
	}
	st := groupState{DisplayName: g.DisplayName, ExternalID: g.ExternalID, Members: []string{}}
	if err := idb.NewSelect().Model((*member)(nil)).Column("user_id").Where("group_id = ?", id).Order("user_id").Scan(ctx, &st.Members); err != nil {
		return nil, groupState{}, db.Translate(err)
	}
	return &g, st, nil
}

func (h *groupHandler) resource(ctx context.Context, g *group, st groupState) (scim.Resource, error) {
	people, err := h.s.Accounts.ByIDs(ctx, st.Members)
	if err != nil {
		return scim.Resource{}, err
	}
	members := make([]map[string]any, len(people))
	for i, p := range people {
		members[i] = map[string]any{"value": p.ID, "display": p.Name, "type": "User"}
	}
	created, modified := g.CreatedAt, g.UpdatedAt
	res := scim.Resource{ID: g.ID, Attributes: scim.ResourceAttributes{"displayName": g.DisplayName, "members": members},
		Meta: scim.Meta{Created: &created, LastModified: &modified}}
	if g.ExternalID != nil {
		res.ExternalID = optional.NewString(*g.ExternalID)
	}
	return res, nil
}

func (h *groupHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	ctx := r.Context()
	g, st, err := h.load(ctx, h.s.DB, id)
	if err != nil {
		return scim.Resource{}, h.s.fail(ctx, err)
	}
	res, err := h.resource(ctx, g, st)
	return res, h.s.fail(ctx, err)
}

// GetAll lists groups by name, or finds one by displayName, externalId or
// id with eq.
func (h *groupHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	ctx, s := r.Context(), h.s
	q := s.DB.NewSelect().Model((*group)(nil)).Column("id").Order("display_name", "id")
	if params.FilterValidator != nil {
		attr, value, ok := equality(params.FilterValidator.GetFilter())
		column := map[string]string{"displayname": "display_name", "externalid": "external_id", "id": "id"}[attr]
		if !ok || column == "" {
			return scim.Page{}, filterRefused("Skillgate finds groups by displayName, externalId or id with eq.")
		}
		q.Where("? = ?", bun.Ident(column), value)
	}
	var ids []string
	total, err := q.Limit(int64(max(params.Count, 1))).Offset(int64(params.StartIndex-1)).ScanAndCount(ctx, &ids)
	if err != nil {
		return scim.Page{}, s.fail(ctx, err)
	}
	page := scim.Page{TotalResults: int(total), Resources: []scim.Resource{}}
	if params.Count == 0 {
		return page, nil
	}
	for _, id := range ids {
		g, st, err := h.load(ctx, s.DB, id)
		if err != nil {
			return scim.Page{}, s.fail(ctx, err)
		}
		res, err := h.resource(ctx, g, st)
		if err != nil {
			return scim.Page{}, s.fail(ctx, err)
		}
		page.Resources = append(page.Resources, res)
	}
	return page, nil
}

// memberIDs reads a members value: a list of {"value": id}.
func memberIDs(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		if m, isMap := v.(map[string]any); isMap {
			list = []any{m}
		} else {
			return nil, badValue("members must be a list of {\"value\": id}")
		}
	}
	var ids []string
	for _, x := range list {
		m, ok := x.(map[string]any)
		id, isStr := m["value"].(string)
		if !ok || !isStr || id == "" {
			return nil, badValue("each member needs a value: the user's id")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// readGroup takes a whole group (POST, PUT).
func readGroup(attrs scim.ResourceAttributes) (groupState, error) {
	var st groupState
	for k, v := range attrs {
		var err error
		switch strings.ToLower(k) {
		case "displayname":
			st.DisplayName, _ = v.(string)
		case "externalid":
			if x, ok := v.(string); ok {
				st.ExternalID = &x
			}
		case "members":
			st.Members, err = memberIDs(v)
		}
		if err != nil {
			return st, err
		}
	}
	st.DisplayName = strings.TrimSpace(st.DisplayName)
	if st.DisplayName == "" {
		return st, badValue("a group needs a displayName")
	}
	return st, nil
}

func (h *groupHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	ctx, s := r.Context(), h.s
	st, err := readGroup(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	now := s.now()
	g := &group{ID: accounts.NewID(), DisplayName: st.DisplayName, ExternalID: st.ExternalID, CreatedAt: now, UpdatedAt: now}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx, acc *accounts.Store) error {
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return err
		}
		return h.save(ctx, tx, acc, g, groupState{Members: []string{}}, st, true)
	})
	if err != nil {
		return scim.Resource{}, s.fail(ctx, err)
	}
	return h.Get(r, g.ID)
}

// save writes the group's new state over the old one, audits it and
// regrants the people whose roles it may change; all in tx.
func (h *groupHandler) save(ctx context.Context, tx bun.Tx, acc *accounts.Store, g *group, was, st groupState, created bool) error {
	st.Members = slices.Compact(slices.Sorted(slices.Values(st.Members)))
	if st.Members == nil {
		st.Members = []string{}
	}
	added, removed := difference(st.Members, was.Members), difference(was.Members, st.Members)
	if len(added) > 0 {
		people, err := acc.ByIDs(ctx, added)
		if err != nil {
			return err
		}
		if len(people) != len(added) {
			return badValue("a member is not a user Skillgate knows")
		}
		var deleted int64
		deleted, err = tx.NewSelect().Model((*userLink)(nil)).Where("user_id IN (?)", db.IDs(added)).Where("deleted_at IS NOT NULL").Count(ctx)
		if err != nil {
			return err
		}
		if deleted > 0 {
			return badValue("a member is a user the identity provider deleted")
		}
		rows := make([]member, len(added))
		for i, id := range added {
			rows[i] = member{GroupID: g.ID, UserID: id}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	if len(removed) > 0 {
		if _, err := tx.NewDelete().Model((*member)(nil)).Where("group_id = ?", g.ID).Where("user_id IN (?)", db.IDs(removed)).Exec(ctx); err != nil {
			return err
		}
	}
	renamed := st.DisplayName != was.DisplayName || !equalPtr(st.ExternalID, was.ExternalID)
	if !created && renamed {
		if _, err := tx.NewUpdate().Model((*group)(nil)).Set("display_name = ?", st.DisplayName).Set("external_id = ?", st.ExternalID).
			Set("updated_at = ?", h.s.now()).Where("id = ?", g.ID).Exec(ctx); err != nil {
			return err
		}
	} else if !created && (len(added) > 0 || len(removed) > 0) {
		if _, err := tx.NewUpdate().Model((*group)(nil)).Set("updated_at = ?", h.s.now()).Where("id = ?", g.ID).Exec(ctx); err != nil {
			return err
		}
	}
	if !created && !renamed && len(added) == 0 && len(removed) == 0 {
		return nil
	}
	action, before := ActionGroupUpdate, any(was)
	if created {
		action, before = ActionGroupCreate, nil
	}
	if err := h.s.Audit.Append(ctx, tx, audit.Entry{Action: action, EntityType: "scim_group", EntityID: g.ID, Before: before, After: st}); err != nil {
		return err
	}
	affected := slices.Concat(added, removed)
	if st.DisplayName != was.DisplayName {
		affected = slices.Concat(was.Members, st.Members)
	}
	return h.s.regrant(ctx, tx, acc, []string{was.DisplayName, st.DisplayName}, affected)
}

// regrant sets the roles and sites of people (after a change to a group
// once or now named one of names) to what all their groups grant through
// the mapping; nothing happens when no name is mapped. A site the mapping
// names that the organisation lacks is logged and not granted.
func (s *Service) regrant(ctx context.Context, tx bun.Tx, acc *accounts.Store, names []string, people []string) error {
	if len(people) == 0 {
		return nil
	}
	m, err := s.GroupMap(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(names, m.Knows) {
		return nil
	}
	sites, err := acc.Sites(ctx)
	if err != nil {
		return err
	}
	byName := make(map[string]string, len(sites))
	for _, site := range sites {
		byName[site.Name] = site.ID
	}
	for _, id := range slices.Compact(slices.Sorted(slices.Values(people))) {
		var groups []string
		if err := tx.NewSelect().Model((*group)(nil)).Column("display_name").
			Where("id IN (SELECT group_id FROM scim_group_members WHERE user_id = ?)", id).Scan(ctx, &groups); err != nil {
			return err
		}
		grant := m.Resolve(groups)
		siteIDs, missing := grant.SiteIDs(byName)
		if len(missing) > 0 {
			s.Log.WarnContext(ctx, "scim: the SSO group mapping names sites that do not exist", "sites", missing, "person", id)
		}
		if err := acc.SetRolesAndSites(ctx, id, grant.Roles, siteIDs); err != nil {
			return err
		}
	}
	return nil
}

func difference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func equalPtr(a, b *string) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func (h *groupHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	st, err := readGroup(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	if err := h.change(r.Context(), id, func(groupState) (groupState, error) { return st, nil }); err != nil {
		return scim.Resource{}, err
	}
	return h.Get(r, id)
}

// change applies edit to the group's state in one transaction.
func (h *groupHandler) change(ctx context.Context, id string, edit func(groupState) (groupState, error)) error {
	err := h.s.inTx(ctx, func(ctx context.Context, tx bun.Tx, acc *accounts.Store) error {
		g, was, err := h.load(ctx, tx, id)
		if err != nil {
			return err
		}
		st, err := edit(groupState{DisplayName: was.DisplayName, ExternalID: was.ExternalID, Members: slices.Clone(was.Members)})
		if err != nil {
			return err
		}
		return h.save(ctx, tx, acc, g, was, st, false)
	})
	return h.s.fail(ctx, err)
}

func (h *groupHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	err := h.change(r.Context(), id, func(st groupState) (groupState, error) {
		for _, op := range ops {
			var err error
			if st, err = patchGroup(st, op); err != nil {
				return st, err
			}
		}
		if strings.TrimSpace(st.DisplayName) == "" {
			return st, badValue("a group needs a displayName")
		}
		return st, nil
	})
	if err != nil {
		return scim.Resource{}, err
	}
	return h.Get(r, id)
}

// patchGroup applies one operation: displayName and externalId replaced,
// members added, removed (all, a list, or members[value eq "id"], as Entra
// ID sends) or replaced.
func patchGroup(st groupState, op scim.PatchOperation) (groupState, error) {
	kind := strings.ToLower(op.Op)
	if op.Path == nil {
		m, ok := op.Value.(map[string]any)
		if !ok {
			return st, badValue("a PATCH operation without a path needs an object value")
		}
		for k, v := range m {
			var err error
			path, _ := filter.ParsePath([]byte(k))
			if st, err = patchGroup(st, scim.PatchOperation{Op: op.Op, Path: &path, Value: v}); err != nil {
				return st, err
			}
		}
		return st, nil
	}
	switch strings.ToLower(op.Path.AttributePath.AttributeName) {
	case "displayname":
		if kind != scim.PatchOperationRemove {
			name, _ := op.Value.(string)
			st.DisplayName = strings.TrimSpace(name)
		}
	case "externalid":
		if x, ok := op.Value.(string); ok && kind != scim.PatchOperationRemove {
			st.ExternalID = &x
		} else {
			st.ExternalID = nil
		}
	case "members":
		if kind == scim.PatchOperationRemove && op.Path.ValueExpression != nil {
			attr, value, ok := equality(op.Path.ValueExpression)
			if !ok || attr != "value" {
				return st, badValue(`remove members with members[value eq "id"]`)
			}
			st.Members = slices.DeleteFunc(st.Members, func(x string) bool { return x == value })
			return st, nil
		}
		ids, err := memberIDs(op.Value)
		if err != nil {
			return st, err
		}
		switch kind {
		case scim.PatchOperationAdd:
			st.Members = append(st.Members, ids...)
		case scim.PatchOperationReplace:
			st.Members = ids
		case scim.PatchOperationRemove:
			if op.Value == nil {
				st.Members = nil
			} else {
				st.Members = slices.DeleteFunc(st.Members, func(x string) bool { return slices.Contains(ids, x) })
			}
		}
	}
	return st, nil
}

// Delete removes the group; its members' roles and sites are granted again
// without it.
func (h *groupHandler) Delete(r *http.Request, id string) error {
	ctx, s := r.Context(), h.s
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx, acc *accounts.Store) error {
		g, was, err := h.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*member)(nil)).Where("group_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*group)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if err := s.Audit.Append(ctx, tx, audit.Entry{Action: ActionGroupDelete, EntityType: "scim_group", EntityID: id, Before: was}); err != nil {
			return err
		}
		return s.regrant(ctx, tx, acc, []string{g.DisplayName}, was.Members)
	})
	return s.fail(ctx, err)
}
