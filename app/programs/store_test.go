package programs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/skillgate/skillgate/app/db"
	"github.com/skillgate/skillgate/app/db/dbtest"
	"github.com/skillgate/skillgate/app/programs"
	"github.com/skillgate/skillgate/curriculum"
)

func shipped(t *testing.T) *curriculum.Version {
	t.Helper()
	v, err := curriculum.MedicalAssistantProgram()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVersioningLifecycle(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s := programs.NewStore(d)
		ma := shipped(t)
		if !ma.IsPublished() {
			if err := ma.Publish(s.Now()); err != nil {
				t.Fatal(err)
			}
		}
		v1, err := s.Create(ctx, ma, "")
		if err != nil {
			t.Fatal(err)
		}
		if v1.Number != 1 || v1.Status != curriculum.Published || v1.ContentSHA256 == "" {
			t.Fatalf("v1 = %+v", v1.VersionInfo)
		}
		if _, err := s.SaveDraft(ctx, v1.ID, v1.LockVersion, ma); !errors.Is(err, curriculum.ErrPublished) {
			t.Fatalf("saving over a published version: %v", err)
		}

		draft, err := s.StartDraft(ctx, v1.ProgramID, "")
		if err != nil {
			t.Fatal(err)
		}
		if draft.Number != 2 || draft.Status != curriculum.Draft {
			t.Fatalf("draft = %+v", draft.VersionInfo)
		}
		if _, err := s.StartDraft(ctx, v1.ProgramID, ""); !errors.Is(err, programs.ErrDraftExists) {
			t.Fatalf("second draft: %v", err)
		}

		// Change a count in the draft.
		code := draft.Version.Program.Competencies[0].Code
		if err := draft.Version.Edit(func(p *curriculum.Program) error {
			p.Competency(code).Performances[0].Count = 12
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		saved, err := s.SaveDraft(ctx, draft.ID, draft.LockVersion, draft.Version)
		if err != nil {
			t.Fatal(err)
		}
		// An editor holding the old copy cannot overwrite it.
		if _, err := s.SaveDraft(ctx, draft.ID, draft.LockVersion, draft.Version); !errors.Is(err, programs.ErrStale) {
			t.Fatalf("stale save: %v", err)
		}
		pub, err := s.Publish(ctx, saved.ID, saved.LockVersion, "")
		if err != nil {
			t.Fatal(err)
		}
		if pub.Status != curriculum.Published || pub.PublishedAt == nil {
			t.Fatalf("published = %+v", pub.VersionInfo)
		}
		// Version 1 is untouched; version 2 carries the change.
		old, _ := s.Version(ctx, v1.ProgramID, 1)
		cur, _ := s.Version(ctx, v1.ProgramID, 2)
		if old.Version.Program.Competency(code).Performances[0].Count == 12 || cur.Version.Program.Competency(code).Performances[0].Count != 12 {
			t.Fatal("publishing a new version changed the old one, or lost the edit")
		}
		if old.ContentSHA256 != v1.ContentSHA256 {
			t.Fatal("the published version's content hash changed")
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 1 || len(list[0].Versions) != 2 || list[0].Latest().Number != 2 || list[0].Draft() != nil {
			t.Fatalf("list = %+v, %v", list, err)
		}
		r1, err := s.Rules(ctx, v1.ID)
		if err != nil || r1.Version().Number != 1 {
			t.Fatalf("rules of v1: %v", err)
		}
	})
}

func TestPublishRefusesInvalidDraft(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		ctx := context.Background()
		s := programs.NewStore(d)
		v := shipped(t).Clone()
		v.Status = curriculum.Draft
		v.Program.Competencies[0].Title = ""
		draft, err := s.ImportDraft(ctx, v, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Publish(ctx, draft.ID, draft.LockVersion, "")
		var ve *curriculum.ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Fatalf("publish of an invalid draft: %v", err)
		}
		still, _ := s.VersionByID(ctx, draft.ID)
		if still.Status != curriculum.Draft || still.LockVersion != draft.LockVersion {
			t.Fatal("a refused publish changed the draft")
		}
		if err := s.DiscardDraft(ctx, draft.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VersionByID(ctx, draft.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("discarded draft: %v", err)
		}
	})
}
