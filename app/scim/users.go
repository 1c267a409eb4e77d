package scim

import (
	"context"
	"net/http"
	"strconv"
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

// userLink is a person the IdP provisioned or matched (scim_users).
type userLink struct {
	bun.BaseModel `bun:"table:scim_users"`
	UserID        string     `bun:"user_id,pk"`
	ExternalID    *string    `bun:"external_id"`
	CreatedAt     time.Time  `bun:"created_at"`
	DeletedAt     *time.Time `bun:"deleted_at"`
}

// userHandler serves /Users over the accounts store. A SCIM user is a
// person: id is the person's id, userName their email (their login),
// displayName and name.formatted their name, active the opposite of
// disabled. Roles come only from groups.
type userHandler struct{ s *Service }

var _ scim.ResourceHandler = (*userHandler)(nil)

// userChange is what a request asks to change; nil fields stay.
type userChange struct {
	email, name, externalID *string
	given, family           *string
	active                  *bool
}

// readAttributes takes a whole user (POST, PUT) as the library validated it.
func readAttributes(attrs scim.ResourceAttributes) (userChange, error) {
	var c userChange
	for k, v := range attrs {
		if err := c.set(k, "", v); err != nil {
			return c, err
		}
	}
	return c, nil
}

// set applies one attribute (sub names a sub-attribute of name) to c.
// Attributes Skillgate does not keep (emails, phone numbers, the enterprise
// extension) are accepted and ignored: the email is the userName.
func (c *userChange) set(attr, sub string, v any) error {
	str := func() (*string, error) {
		s, ok := v.(string)
		if !ok {
			return nil, badValue(attr + " must be a string")
		}
		s = strings.TrimSpace(s)
		return &s, nil
	}
	var err error
	switch strings.ToLower(attr) {
	case "username":
		c.email, err = str()
	case "displayname":
		c.name, err = str()
	case "externalid":
		c.externalID, err = str()
	case "active":
		b, err := boolOf(v)
		if err != nil {
			return err
		}
		c.active = &b
	case "name":
		switch strings.ToLower(sub) {
		case "":
			m, ok := v.(map[string]any)
			if !ok {
				return badValue("name must be an object")
			}
			for k, x := range m {
				if err := c.set("name", k, x); err != nil {
					return err
				}
			}
		case "formatted":
			// displayName wins when both are sent.
			if c.name == nil {
				c.name, err = str()
			}
		case "givenname":
			c.given, err = str()
		case "familyname":
			c.family, err = str()
		}
	}
	return err
}

// boolOf reads a boolean the way Entra ID may send it: true, or "True".
func boolOf(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		if x, err := strconv.ParseBool(strings.TrimSpace(b)); err == nil {
			return x, nil
		}
	}
	return false, badValue("active must be true or false")
}

// newName is the person's name after c: displayName (or name.formatted)
// when given, else the given and family names, taking the missing one from
// the current name split at its first space.
func (c userChange) newName(current string) string {
	if c.name != nil && *c.name != "" {
		return *c.name
	}
	if c.given == nil && c.family == nil {
		return ""
	}
	given, family, _ := strings.Cut(current, " ")
	if c.given != nil {
		given = *c.given
	}
	if c.family != nil {
		family = *c.family
	}
	return strings.TrimSpace(given + " " + family)
}

func (h *userHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	ctx, s := r.Context(), h.s
	c, err := readAttributes(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	if c.email == nil || !strings.Contains(*c.email, "@") {
		return scim.Resource{}, badValue("userName must be the person's email address (their Skillgate login)")
	}
	name := c.newName("")
	if name == "" {
		name = *c.email
	}
	var id string
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx, acc *accounts.Store) error {
		existing, err := acc.ByEmail(ctx, *c.email)
		switch {
		case err == nil:
			// A person the IdP deleted comes back; anyone else with this
			// email is found by a filter first (RFC 7644 3.3: uniqueness).
			var l userLink
			if err := tx.NewSelect().Model(&l).Where("user_id = ?", existing.ID).Scan(ctx); err != nil || l.DeletedAt == nil {
				return scimerrors.ScimErrorUniqueness
			}
			id = existing.ID
			if _, err := tx.NewUpdate().Model((*userLink)(nil)).Set("deleted_at = NULL").Where("user_id = ?", id).Exec(ctx); err != nil {
				return err
			}
			return h.apply(ctx, tx, acc, existing, c)
		case err != db.ErrNotFound:
			return err
		}
		p, err := acc.Create(ctx, accounts.NewPerson{Email: *c.email, Name: name, Provisioned: true})
		if err != nil {
			return err
		}
		id = p.ID
		l := &userLink{UserID: p.ID, ExternalID: c.externalID, CreatedAt: s.now()}
		if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
			return err
		}
		if err := s.Audit.Append(ctx, tx, audit.Entry{Action: ActionProvision, EntityType: "person", EntityID: p.ID,
			After: map[string]any{"external_id": l.ExternalID}}); err != nil {
			return err
		}
		if c.active != nil && !*c.active {
			return acc.SetDisabled(ctx, p.ID, true)
		}
		return nil
	})
	if err != nil {
		return scim.Resource{}, s.fail(ctx, err)
	}
	return h.Get(r, id)
}

// apply makes the changes c asks of p, linking p to SCIM if they were not:
// from then on the IdP's groups decide their roles.
func (h *userHandler) apply(ctx context.Context, tx bun.Tx, acc *accounts.Store, p *accounts.Person, c userChange) error {
	email := ""
	if c.email != nil {
		if !strings.Contains(*c.email, "@") {
			return badValue("userName must be the person's email address (their Skillgate login)")
		}
		email = *c.email
	}
	if err := acc.UpdateIdentity(ctx, p.ID, email, c.newName(p.Name)); err != nil {
		return err
	}
	var l userLink
	err := tx.NewSelect().Model(&l).Where("user_id = ?", p.ID).Scan(ctx)
	switch {
	case db.Translate(err) == db.ErrNotFound:
		l = userLink{UserID: p.ID, ExternalID: c.externalID, CreatedAt: h.s.now()}
		if _, err := tx.NewInsert().Model(&l).Exec(ctx); err != nil {
			return err
		}
		if err := h.s.Audit.Append(ctx, tx, audit.Entry{Action: ActionProvision, EntityType: "person", EntityID: p.ID,
			After: map[string]any{"external_id": l.ExternalID}}); err != nil {
			return err
		}
	case err != nil:
		return err
	case c.externalID != nil && (l.ExternalID == nil || *l.ExternalID != *c.externalID):
		if _, err := tx.NewUpdate().Model((*userLink)(nil)).Set("external_id = ?", *c.externalID).Where("user_id = ?", p.ID).Exec(ctx); err != nil {
			return err
		}
		if err := h.s.Audit.Append(ctx, tx, audit.Entry{Action: ActionProvision, EntityType: "person", EntityID: p.ID,
			Before: map[string]any{"external_id": l.ExternalID}, After: map[string]any{"external_id": *c.externalID}}); err != nil {
			return err
		}
	}
	if c.active != nil && *c.active == p.Disabled() {
		// Disabling ends the person's sessions and revokes their API
		// tokens in this transaction; what they signed stays.
		return acc.SetDisabled(ctx, p.ID, !*c.active)
	}
	return nil
}

func (h *userHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	ctx := r.Context()
	p, l, err := h.person(ctx, h.s.DB, h.s.Accounts, id)
	if err != nil {
		return scim.Resource{}, h.s.fail(ctx, err)
	}
	return userResource(p, l), nil
}

// person reads a person visible to SCIM (one the IdP deleted is not).
func (h *userHandler) person(ctx context.Context, idb bun.IDB, acc *accounts.Store, id string) (*accounts.Person, *userLink, error) {
	p, err := acc.ByID(ctx, id)
	if err != nil {
		if err == db.ErrNotFound {
			return nil, nil, scimerrors.ScimErrorResourceNotFound(id)
		}
		return nil, nil, err
	}
	var l userLink
	if err := idb.NewSelect().Model(&l).Where("user_id = ?", id).Scan(ctx); err != nil {
		if db.Translate(err) != db.ErrNotFound {
			return nil, nil, db.Translate(err)
		}
		return p, nil, nil
	}
	if l.DeletedAt != nil {
		return nil, nil, scimerrors.ScimErrorResourceNotFound(id)
	}
	return p, &l, nil
}

func userResource(p *accounts.Person, l *userLink) scim.Resource {
	created := p.CreatedAt
	res := scim.Resource{
		ID: p.ID,
		Attributes: scim.ResourceAttributes{
			"userName":    p.Email,
			"displayName": p.Name,
			"name":        map[string]any{"formatted": p.Name},
			"active":      !p.Disabled(),
			"emails":      []map[string]any{{"value": p.Email, "type": "work", "primary": true}},
		},
		Meta: scim.Meta{Created: &created},
	}
	if l != nil && l.ExternalID != nil {
		res.ExternalID = optional.NewString(*l.ExternalID)
	}
	return res
}

// GetAll lists people, or finds them by the filters IdPs send: userName,
// externalId or id, with eq.
func (h *userHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	ctx, s := r.Context(), h.s
	if params.FilterValidator != nil {
		attr, value, ok := equality(params.FilterValidator.GetFilter())
		if !ok {
			return scim.Page{}, filterRefused("Skillgate finds users by userName, externalId or id with eq.")
		}
		id := value
		switch attr {
		case "username":
			p, err := s.Accounts.ByEmail(ctx, value)
			if err == db.ErrNotFound {
				return scim.Page{Resources: []scim.Resource{}}, nil
			} else if err != nil {
				return scim.Page{}, s.fail(ctx, err)
			}
			id = p.ID
		case "externalid":
			var l userLink
			if err := s.DB.NewSelect().Model(&l).Where("external_id = ?", value).Limit(1).Scan(ctx); err != nil {
				if db.Translate(err) == db.ErrNotFound {
					return scim.Page{Resources: []scim.Resource{}}, nil
				}
				return scim.Page{}, s.fail(ctx, err)
			}
			id = l.UserID
		case "id":
		default:
			return scim.Page{}, filterRefused("Skillgate finds users by userName, externalId or id with eq.")
		}
		p, l, err := h.person(ctx, s.DB, s.Accounts, id)
		if err != nil {
			if se, ok := err.(scimerrors.ScimError); ok && se.Status == http.StatusNotFound {
				return scim.Page{Resources: []scim.Resource{}}, nil
			}
			return scim.Page{}, s.fail(ctx, err)
		}
		return scim.Page{TotalResults: 1, Resources: []scim.Resource{userResource(p, l)}}, nil
	}
	if params.Count == 0 {
		// A count of 0 asks only for the total.
		_, total, err := s.Accounts.List(ctx, accounts.ListFilter{Limit: 1})
		return scim.Page{TotalResults: total, Resources: []scim.Resource{}}, s.fail(ctx, err)
	}
	people, total, err := s.Accounts.List(ctx, accounts.ListFilter{Limit: params.Count, Offset: params.StartIndex - 1})
	if err != nil {
		return scim.Page{}, s.fail(ctx, err)
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	var links []userLink
	if err := s.DB.NewSelect().Model(&links).Where("user_id IN (?)", db.IDs(ids)).Scan(ctx); err != nil {
		return scim.Page{}, s.fail(ctx, db.Translate(err))
	}
	byID := map[string]*userLink{}
	for i := range links {
		byID[links[i].UserID] = &links[i]
	}
	deleted, err := s.DB.NewSelect().Model((*userLink)(nil)).Where("deleted_at IS NOT NULL").Count(ctx)
	if err != nil {
		return scim.Page{}, s.fail(ctx, db.Translate(err))
	}
	page := scim.Page{TotalResults: total - int(deleted), Resources: []scim.Resource{}}
	for _, p := range people {
		if l := byID[p.ID]; l == nil || l.DeletedAt == nil {
			page.Resources = append(page.Resources, userResource(p, l))
		}
	}
	return page, nil
}

// equality reads a filter of the form attr eq "value", the only kind IdPs
// send to find a resource; attr comes back lower-cased.
func equality(e filter.Expression) (attr, value string, ok bool) {
	x, isAttr := e.(*filter.AttributeExpression)
	if !isAttr || x.Operator != filter.EQ || x.AttributePath.SubAttribute != nil {
		return "", "", false
	}
	value, ok = x.CompareValue.(string)
	return strings.ToLower(x.AttributePath.AttributeName), value, ok
}

func filterRefused(detail string) error {
	e := scimerrors.ScimErrorInvalidFilter
	e.Detail = detail
	return e
}

func (h *userHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	ctx := r.Context()
	c, err := readAttributes(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	if err := h.change(ctx, id, c); err != nil {
		return scim.Resource{}, err
	}
	return h.Get(r, id)
}

func (h *userHandler) change(ctx context.Context, id string, c userChange) error {
	err := h.s.inTx(ctx, func(ctx context.Context, tx bun.Tx, acc *accounts.Store) error {
		p, _, err := h.person(ctx, tx, acc, id)
		if err != nil {
			return err
		}
		return h.apply(ctx, tx, acc, p, c)
	})
	return h.s.fail(ctx, err)
}

func (h *userHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	ctx := r.Context()
	var c userChange
	for _, op := range ops {
		if strings.EqualFold(op.Op, scim.PatchOperationRemove) {
			continue // nothing Skillgate keeps about a user can be removed
		}
		if op.Path == nil {
			m, ok := op.Value.(map[string]any)
			if !ok {
				return scim.Resource{}, badValue("a PATCH operation without a path needs an object value")
			}
			for k, v := range m {
				if err := c.set(k, "", v); err != nil {
					return scim.Resource{}, err
				}
			}
			continue
		}
		if err := c.set(op.Path.AttributePath.AttributeName, op.Path.AttributePath.SubAttributeName(), op.Value); err != nil {
			return scim.Resource{}, err
		}
	}
	if err := h.change(ctx, id, c); err != nil {
		return scim.Resource{}, err
	}
	return h.Get(r, id)
}

// Delete deactivates the person (ending their sessions and API tokens) and
// hides them from SCIM; the account and every record they signed stay. A
// later create with the same userName brings them back.
func (h *userHandler) Delete(r *http.Request, id string) error {
	ctx, s := r.Context(), h.s
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx, acc *accounts.Store) error {
		p, l, err := h.person(ctx, tx, acc, id)
		if err != nil {
			return err
		}
		if !p.Disabled() {
			if err := acc.SetDisabled(ctx, id, true); err != nil {
				return err
			}
		}
		now := s.now()
		if l == nil {
			_, err = tx.NewInsert().Model(&userLink{UserID: id, CreatedAt: now, DeletedAt: &now}).Exec(ctx)
		} else {
			_, err = tx.NewUpdate().Model((*userLink)(nil)).Set("deleted_at = ?", now).Where("user_id = ?", id).Exec(ctx)
		}
		if err != nil {
			return err
		}
		// The groups no longer list them; their roles stay on the disabled
		// account, as its history shows them.
		var left []string
		if err := tx.NewSelect().Model((*member)(nil)).Column("group_id").Where("user_id = ?", id).Scan(ctx, &left); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*member)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Entry{Action: ActionUserDelete, EntityType: "person", EntityID: id,
			After: map[string]any{"deleted_at": now, "left_groups": nonNil(left)}})
	})
	return s.fail(ctx, err)
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
