package programs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/skillgate/skillgate/app/audit"
	"github.com/skillgate/skillgate/app/audit/audittest"
	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
)

// Creating, importing, drafting, saving, publishing and discarding program
// versions each leave an entry naming the version; a stale save leaves none.
func TestProgramChangesAreAudited(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "director-1", Via: "session"})
		s := programs.NewStore(d)
		ma := shipped(t)
		if err := ma.Publish(s.Now()); err != nil && !errors.Is(err, curriculum.ErrPublished) {
			t.Fatal(err)
		}
		v1, err := s.Create(ctx, ma, "")
		if err != nil {
			t.Fatal(err)
		}
		e := audittest.Last(t, d, programs.ActionProgramCreate)
		if e.EntityType != "program_version" || e.EntityID != v1.ID || e.Actor != "director-1" || !strings.Contains(e.After, v1.ContentSHA256) {
			t.Fatalf("create entry %+v", e)
		}
		draft, err := s.StartDraft(ctx, v1.ProgramID, "")
		if err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, programs.ActionDraftStart); e.EntityID != draft.ID || !strings.Contains(e.After, `"from_version":1`) {
			t.Fatalf("draft entry %+v", e)
		}
		comp := draft.Version.Program.Competencies[0]
		if err := draft.Version.Edit(func(p *curriculum.Program) error {
			p.Competency(comp.Code).Performances[0].Count = 77
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		saved, err := s.SaveDraft(ctx, draft.ID, draft.LockVersion, draft.Version)
		if err != nil {
			t.Fatal(err)
		}
		e = audittest.Last(t, d, programs.ActionDraftSave)
		// Only the changed competency is in the entry, before and after.
		if e.EntityID != draft.ID || !strings.Contains(e.After, `77`) || !strings.Contains(e.After, comp.Code) ||
			strings.Contains(e.After, draft.Version.Program.Competencies[1].Code+`"`) || !strings.Contains(e.Before, comp.Code) {
			t.Fatalf("save entry: before %s\nafter %s", e.Before, e.After)
		}
		// A stale save changes nothing and records nothing.
		n := audittest.Total(t, d)
		if _, err := s.SaveDraft(ctx, draft.ID, draft.LockVersion, draft.Version); !errors.Is(err, programs.ErrStale) {
			t.Fatalf("stale save: %v", err)
		}
		if audittest.Total(t, d) != n {
			t.Fatal("a stale save was recorded")
		}
		if _, err := s.Publish(ctx, saved.ID, saved.LockVersion, ""); err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, programs.ActionPublish); e.EntityID != draft.ID || !strings.Contains(e.After, `"status":"published"`) {
			t.Fatalf("publish entry %+v", e)
		}
		imported := shipped(t).Clone()
		imported.Status = curriculum.Draft
		v3, err := s.ImportDraft(ctx, imported, "")
		if err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, programs.ActionProgramImport); e.EntityID != v3.ID || !strings.Contains(e.After, `"number":3`) {
			t.Fatalf("import entry %+v", e)
		}
		if err := s.DiscardDraft(ctx, v3.ID); err != nil {
			t.Fatal(err)
		}
		if e := audittest.Last(t, d, programs.ActionDiscard); e.EntityID != v3.ID || e.After != "" || !strings.Contains(e.Before, `"content"`) {
			t.Fatalf("discard entry %+v", e)
		}
		if err := s.DiscardDraft(ctx, v3.ID); !errors.Is(err, db.ErrNotFound) || audittest.Count(t, d, programs.ActionDiscard) != 1 {
			t.Fatalf("second discard: %v", err)
		}
		audittest.Intact(t, d)
	})
}
