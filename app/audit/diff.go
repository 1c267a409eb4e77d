package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Changes compares two JSON documents and returns only what differs, as
// before and after values for an entry: the changed keys of objects (at any
// depth), and for lists of objects that carry a "code" or "id", the changed,
// added and removed items keyed by it. Large documents (a program version)
// are audited by what an edit changed instead of twice in full.
func Changes(before, after []byte) (any, any, error) {
	var b, a any
	if len(before) > 0 {
		if err := json.Unmarshal(before, &b); err != nil {
			return nil, nil, fmt.Errorf("audit changes: before: %w", err)
		}
	}
	if len(after) > 0 {
		if err := json.Unmarshal(after, &a); err != nil {
			return nil, nil, fmt.Errorf("audit changes: after: %w", err)
		}
	}
	db, da := diff(b, a)
	return db, da, nil
}

func diff(b, a any) (any, any) {
	if reflect.DeepEqual(b, a) {
		return nil, nil
	}
	bm, bok := b.(map[string]any)
	am, aok := a.(map[string]any)
	if bok && aok {
		ob, oa := map[string]any{}, map[string]any{}
		for k, bv := range bm {
			av, ok := am[k]
			if !ok {
				ob[k] = bv
				continue
			}
			if db, da := diff(bv, av); db != nil || da != nil {
				ob[k], oa[k] = db, da
			}
		}
		for k, av := range am {
			if _, ok := bm[k]; !ok {
				oa[k] = av
			}
		}
		return ob, oa
	}
	bl, bok := keyed(b)
	al, aok := keyed(a)
	if bok && aok {
		ob, oa := map[string]any{}, map[string]any{}
		for k, bv := range bl {
			av, ok := al[k]
			if !ok {
				ob[k] = bv
				continue
			}
			if db, da := diff(bv, av); db != nil || da != nil {
				ob[k], oa[k] = bv, av
			}
		}
		for k, av := range al {
			if _, ok := bl[k]; !ok {
				oa[k] = av
			}
		}
		return ob, oa
	}
	return b, a
}

// keyed returns a list of objects by their "code" (or "id") when every
// item has a distinct one.
func keyed(v any) (map[string]any, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(l))
	for _, item := range l {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, false
		}
		k, ok := m["code"].(string)
		if !ok {
			if k, ok = m["id"].(string); !ok {
				return nil, false
			}
		}
		if _, dup := out[k]; dup {
			return nil, false
		}
		out[k] = item
	}
	return out, true
}
