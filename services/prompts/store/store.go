// Package store keeps prompts, their immutable versions, labels and
// publications in SQL (SQLite or PostgreSQL, one query set), with a change
// log numbered by a gapless revision for WatchPrompts.
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/prompts/store/internal/promptsql"
)

// Domain errors, besides storage.ErrNotFound and storage.ErrConflict.
var (
	// ErrBaseMoved: an update's base version is no longer the latest.
	ErrBaseMoved = errors.New("base version is not the latest")
	// ErrVersionMissing: a label target names a version that does not exist.
	ErrVersionMissing = errors.New("version does not exist")
	// ErrLabelMissing: a publication names a label the prompt does not have.
	ErrLabelMissing = errors.New("label does not exist")
	// ErrInUse: a publication serves the label or prompt being removed.
	ErrInUse = errors.New("in use by a publication")
	// ErrSlugTaken: the slug serves another prompt.
	ErrSlugTaken = errors.New("slug serves another prompt")
)

// Change kinds in the change log.
const (
	KindPrompt      = "prompt"
	KindPublication = "publication"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Migrations is the prompts schema; pass it to storage.DB.Migrate.
func Migrations() storage.Migrations {
	sub := func(dir string) fs.FS {
		f, err := fs.Sub(migrationFiles, dir)
		if err != nil {
			panic(err) // dir is a constant embedded above
		}
		return f
	}
	return storage.Migrations{Component: "prompts", SQLite: sub("migrations/sqlite"), Postgres: sub("migrations/postgres")}
}

// Store is the prompt registry's storage.
type Store struct {
	db  *storage.DB
	now func() time.Time
	// committed is called after every committed write (to wake watchers in
	// this process).
	committed func()
}

// New returns a store on db, which must have Migrations applied.
// committed, if not nil, is called after each committed write.
func New(db *storage.DB, committed func()) *Store {
	if committed == nil {
		committed = func() {}
	}
	return &Store{db: db, now: time.Now, committed: committed}
}

func (s *Store) q() *promptsql.Queries { return promptsql.New(s.db.DB) }

// tx is one write transaction; it records the changes it makes.
type tx struct {
	q   *promptsql.Queries
	now int64
	// reserved is the revision taken when the transaction began, not yet
	// given to a change; 0 once used.
	reserved int64
}

// change appends one entry to the change log.
func (t *tx) change(ctx context.Context, kind, key string, deleted bool) error {
	rev := t.reserved
	t.reserved = 0
	if rev == 0 {
		var err error
		if rev, err = t.q.NextRevision(ctx); err != nil {
			return fmt.Errorf("next revision: %w", err)
		}
	}
	return t.q.InsertChange(ctx, promptsql.InsertChangeParams{Revision: rev, Kind: kind, Key: key, Deleted: deleted, ChangedAt: t.now})
}

// write runs fn in a transaction and commits it. The transaction takes the
// next revision first: the counter row lock then orders writers before they
// read anything (so concurrent updates of one prompt queue instead of both
// computing the same next version), and revision order is commit order (so
// a watcher paging by revision never skips a late commit). A write that
// records no change has changed nothing and is rolled back, which leaves no
// gap in the revisions.
func (s *Store) write(ctx context.Context, fn func(t *tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = sqlTx.Rollback() }()
	t := &tx{q: promptsql.New(sqlTx), now: s.now().UnixMicro()}
	if t.reserved, err = t.q.NextRevision(ctx); err != nil {
		return fmt.Errorf("next revision: %w", storage.MapError(err))
	}
	if err := fn(t); err != nil {
		return err
	}
	if t.reserved != 0 {
		return nil // nothing changed; the deferred rollback returns the revision
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", storage.MapError(err))
	}
	s.committed()
	return nil
}

// Digest is the hex SHA-256 of a template's deterministic encoding.
func Digest(t *promptsv1.PromptTemplate) (string, []byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(t)
	if err != nil {
		return "", nil, fmt.Errorf("encode template: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), b, nil
}

func ts(micros int64) *timestamppb.Timestamp { return timestamppb.New(time.UnixMicro(micros).UTC()) }

func versionFromRow(r promptsql.PromptVersion) (*promptsv1.PromptVersion, error) {
	t := &promptsv1.PromptTemplate{}
	if err := proto.Unmarshal(r.Template, t); err != nil {
		return nil, fmt.Errorf("decode template of %s v%d: %w", r.PromptName, r.Version, err)
	}
	return &promptsv1.PromptVersion{
		PromptName: r.PromptName, Version: int32(r.Version), Template: t, Author: r.Author,
		Message: r.Message, CreatedAt: ts(r.CreatedAt), Digest: r.Digest,
	}, nil
}

func publicationFromRow(r promptsql.PromptPublication) *promptsv1.Publication {
	return &promptsv1.Publication{
		Slug: r.Slug, PromptName: r.PromptName, Label: r.Label, AllowStreaming: r.AllowStreaming,
		Description: r.Description, CreatedBy: r.CreatedBy, CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt),
	}
}

// prompt loads a prompt with its labels.
func prompt(ctx context.Context, q *promptsql.Queries, name string) (*promptsv1.Prompt, error) {
	row, err := q.GetPrompt(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("get prompt: %w", storage.MapError(err))
	}
	return withLabels(ctx, q, row)
}

func withLabels(ctx context.Context, q *promptsql.Queries, row promptsql.Prompt) (*promptsv1.Prompt, error) {
	p := &promptsv1.Prompt{
		Name: row.Name, Description: row.Description, LatestVersion: int32(row.LatestVersion),
		CreatedAt: ts(row.CreatedAt), UpdatedAt: ts(row.UpdatedAt),
	}
	labels, err := q.ListLabels(ctx, row.Name)
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	targets, err := q.ListLabelTargets(ctx, row.Name)
	if err != nil {
		return nil, fmt.Errorf("list label targets: %w", err)
	}
	byLabel := map[string][]*promptsv1.LabelTarget{}
	for _, t := range targets {
		byLabel[t.Label] = append(byLabel[t.Label], &promptsv1.LabelTarget{Version: int32(t.Version), Weight: uint32(t.Weight)})
	}
	for _, l := range labels {
		p.Labels = append(p.Labels, &promptsv1.Label{
			Name: l.Name, Targets: byLabel[l.Name], Stickiness: promptsv1.LabelStickiness(l.Stickiness),
			UpdatedBy: l.UpdatedBy, UpdatedAt: ts(l.UpdatedAt),
		})
	}
	return p, nil
}

// GetPrompt returns a prompt with its labels, or storage.ErrNotFound.
func (s *Store) GetPrompt(ctx context.Context, name string) (*promptsv1.Prompt, error) {
	return prompt(ctx, s.q(), name)
}

// ListPrompts returns up to n prompts named after after, filtered by name
// prefix and label (empty: no filter).
func (s *Store) ListPrompts(ctx context.Context, after, prefix, label string, n int) ([]*promptsv1.Prompt, error) {
	q := s.q()
	rows, err := q.ListPrompts(ctx, promptsql.ListPromptsParams{AfterName: after, NamePrefix: prefix, Label: label, MaxRows: int32(n)})
	if err != nil {
		return nil, fmt.Errorf("list prompts: %w", err)
	}
	out := make([]*promptsv1.Prompt, 0, len(rows))
	for _, r := range rows {
		p, err := withLabels(ctx, q, r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// GetVersion returns one version, or storage.ErrNotFound.
func (s *Store) GetVersion(ctx context.Context, name string, version int32) (*promptsv1.PromptVersion, error) {
	row, err := s.q().GetVersion(ctx, promptsql.GetVersionParams{PromptName: name, Version: int64(version)})
	if err != nil {
		return nil, fmt.Errorf("get version: %w", storage.MapError(err))
	}
	return versionFromRow(row)
}

// ListVersions returns up to n versions below before, newest first.
func (s *Store) ListVersions(ctx context.Context, name string, before int32, n int) ([]*promptsv1.PromptVersion, error) {
	rows, err := s.q().ListVersions(ctx, promptsql.ListVersionsParams{PromptName: name, BeforeVersion: int64(before), MaxRows: int32(n)})
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	out := make([]*promptsv1.PromptVersion, 0, len(rows))
	for _, r := range rows {
		v, err := versionFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Entry returns what a router caches for a prompt: the prompt, its labels,
// and every version a label targets. storage.ErrNotFound if it is gone.
func (s *Store) Entry(ctx context.Context, name string) (*promptsv1.PromptEntry, error) {
	q := s.q()
	p, err := prompt(ctx, q, name)
	if err != nil {
		return nil, err
	}
	e := &promptsv1.PromptEntry{Prompt: p}
	seen := map[int32]bool{}
	var versions []int32
	for _, l := range p.GetLabels() {
		for _, t := range l.GetTargets() {
			if !seen[t.GetVersion()] {
				seen[t.GetVersion()] = true
				versions = append(versions, t.GetVersion())
			}
		}
	}
	sortInt32(versions)
	for _, v := range versions {
		row, err := q.GetVersion(ctx, promptsql.GetVersionParams{PromptName: name, Version: int64(v)})
		if err != nil {
			return nil, fmt.Errorf("get version: %w", storage.MapError(err))
		}
		pv, err := versionFromRow(row)
		if err != nil {
			return nil, err
		}
		e.LabeledVersions = append(e.LabeledVersions, pv)
	}
	return e, nil
}

func sortInt32(v []int32) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// GetPublication returns a publication, or storage.ErrNotFound.
func (s *Store) GetPublication(ctx context.Context, slug string) (*promptsv1.Publication, error) {
	row, err := s.q().GetPublication(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("get publication: %w", storage.MapError(err))
	}
	return publicationFromRow(row), nil
}

// ListPublications returns up to n publications after the slug after,
// optionally only those serving promptName.
func (s *Store) ListPublications(ctx context.Context, after, promptName string, n int) ([]*promptsv1.Publication, error) {
	rows, err := s.q().ListPublications(ctx, promptsql.ListPublicationsParams{AfterSlug: after, PromptName: promptName, MaxRows: int32(n)})
	if err != nil {
		return nil, fmt.Errorf("list publications: %w", err)
	}
	out := make([]*promptsv1.Publication, len(rows))
	for i, r := range rows {
		out[i] = publicationFromRow(r)
	}
	return out, nil
}

// Revision returns the revision of the last committed change.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	rev, err := s.q().CurrentRevision(ctx)
	if err != nil {
		return 0, fmt.Errorf("current revision: %w", err)
	}
	return rev, nil
}

// Change is one entry of the change log.
type Change struct {
	Revision int64
	Kind     string // KindPrompt or KindPublication
	Key      string // prompt name or slug
	Deleted  bool
}

// Changes returns up to n changes after the revision after, in order.
func (s *Store) Changes(ctx context.Context, after int64, n int) ([]Change, error) {
	rows, err := s.q().ListChanges(ctx, promptsql.ListChangesParams{AfterRevision: after, MaxRows: int32(n)})
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	out := make([]Change, len(rows))
	for i, r := range rows {
		out[i] = Change{Revision: r.Revision, Kind: r.Kind, Key: r.Key, Deleted: r.Deleted}
	}
	return out, nil
}

// NewVersion is what a write needs to create a version.
type NewVersion struct {
	Template *promptsv1.PromptTemplate
	Author   string
	Message  string
	// Labels to point at the new version as single targets.
	Labels []string
}

// CreatePrompt creates a prompt and its version 1. storage.ErrConflict if
// the name is taken.
func (s *Store) CreatePrompt(ctx context.Context, name, description string, v NewVersion) (*promptsv1.Prompt, *promptsv1.PromptVersion, error) {
	digest, enc, err := Digest(v.Template)
	if err != nil {
		return nil, nil, err
	}
	var p *promptsv1.Prompt
	err = s.write(ctx, func(t *tx) error {
		if err := t.q.InsertPrompt(ctx, promptsql.InsertPromptParams{Name: name, Description: description, Now: t.now}); err != nil {
			return fmt.Errorf("insert prompt: %w", storage.MapError(err))
		}
		if err := t.insertVersion(ctx, name, 1, enc, digest, v); err != nil {
			return err
		}
		if p, err = prompt(ctx, t.q, name); err != nil {
			return err
		}
		return t.change(ctx, KindPrompt, name, false)
	})
	if err != nil {
		return nil, nil, err
	}
	return p, &promptsv1.PromptVersion{
		PromptName: name, Version: 1, Template: v.Template, Author: v.Author, Message: v.Message,
		CreatedAt: p.GetCreatedAt(), Digest: digest,
	}, nil
}

func (t *tx) insertVersion(ctx context.Context, name string, version int32, enc []byte, digest string, v NewVersion) error {
	if err := t.q.InsertVersion(ctx, promptsql.InsertVersionParams{
		PromptName: name, Version: int64(version), Template: enc, Digest: digest, Author: v.Author, Message: v.Message, CreatedAt: t.now,
	}); err != nil {
		return fmt.Errorf("insert version: %w", storage.MapError(err))
	}
	for _, l := range v.Labels {
		if err := t.setLabel(ctx, name, &promptsv1.Label{Name: l, Targets: []*promptsv1.LabelTarget{{Version: version, Weight: 1}}}, v.Author); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) setLabel(ctx context.Context, name string, l *promptsv1.Label, by string) error {
	if err := t.q.UpsertLabel(ctx, promptsql.UpsertLabelParams{
		PromptName: name, Name: l.GetName(), Stickiness: int64(l.GetStickiness()), UpdatedBy: by, UpdatedAt: t.now,
	}); err != nil {
		return fmt.Errorf("upsert label: %w", storage.MapError(err))
	}
	if err := t.q.DeleteLabelTargets(ctx, promptsql.DeleteLabelTargetsParams{PromptName: name, Label: l.GetName()}); err != nil {
		return fmt.Errorf("clear label targets: %w", err)
	}
	for i, target := range l.GetTargets() {
		if _, err := t.q.GetVersion(ctx, promptsql.GetVersionParams{PromptName: name, Version: int64(target.GetVersion())}); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: %s v%d", ErrVersionMissing, name, target.GetVersion())
			}
			return fmt.Errorf("check version: %w", err)
		}
		if err := t.q.InsertLabelTarget(ctx, promptsql.InsertLabelTargetParams{
			PromptName: name, Label: l.GetName(), Position: int64(i), Version: int64(target.GetVersion()), Weight: int64(max(target.GetWeight(), 1)),
		}); err != nil {
			return fmt.Errorf("insert label target: %w", storage.MapError(err))
		}
	}
	return nil
}

// AddVersion creates the next version of a prompt from the template that
// build returns given the base (latest) version's template. When base is
// not 0 and not the latest version it fails with ErrBaseMoved. When the
// built template equals the latest one, no version is created (unchanged
// is true) but the labels still move. description, if not nil, replaces
// the prompt's description.
func (s *Store) AddVersion(ctx context.Context, name string, base int32, description *string, v NewVersion,
	build func(base *promptsv1.PromptTemplate) (*promptsv1.PromptTemplate, error),
) (p *promptsv1.Prompt, pv *promptsv1.PromptVersion, unchanged bool, err error) {
	err = s.write(ctx, func(t *tx) error {
		row, err := t.q.GetPrompt(ctx, name)
		if err != nil {
			return fmt.Errorf("get prompt: %w", storage.MapError(err))
		}
		if base != 0 && int64(base) != row.LatestVersion {
			return fmt.Errorf("%w: base v%d, latest v%d", ErrBaseMoved, base, row.LatestVersion)
		}
		latestRow, err := t.q.GetVersion(ctx, promptsql.GetVersionParams{PromptName: name, Version: row.LatestVersion})
		if err != nil {
			return fmt.Errorf("get latest version: %w", storage.MapError(err))
		}
		latest, err := versionFromRow(latestRow)
		if err != nil {
			return err
		}
		tmpl, err := build(latest.GetTemplate())
		if err != nil {
			return err
		}
		digest, enc, err := Digest(tmpl)
		if err != nil {
			return err
		}
		desc := row.Description
		if description != nil {
			desc = *description
		}
		next := row.LatestVersion
		if digest == latest.GetDigest() {
			unchanged, pv = true, latest
			for _, l := range v.Labels {
				if err := t.setLabel(ctx, name, &promptsv1.Label{Name: l, Targets: []*promptsv1.LabelTarget{{Version: latest.GetVersion(), Weight: 1}}}, v.Author); err != nil {
					return err
				}
			}
		} else {
			next++
			v.Template = tmpl
			if err := t.insertVersion(ctx, name, int32(next), enc, digest, v); err != nil {
				return err
			}
			pv = &promptsv1.PromptVersion{
				PromptName: name, Version: int32(next), Template: tmpl, Author: v.Author, Message: v.Message,
				CreatedAt: ts(t.now), Digest: digest,
			}
		}
		if unchanged && len(v.Labels) == 0 && desc == row.Description {
			p, err = withLabels(ctx, t.q, row)
			return err
		}
		if err := t.q.UpdatePrompt(ctx, promptsql.UpdatePromptParams{Name: name, Description: desc, LatestVersion: next, Now: t.now}); err != nil {
			return fmt.Errorf("update prompt: %w", err)
		}
		if p, err = prompt(ctx, t.q, name); err != nil {
			return err
		}
		return t.change(ctx, KindPrompt, name, false)
	})
	return p, pv, unchanged, err
}

// SetLabel creates or moves a label. ErrVersionMissing if a target does
// not exist; storage.ErrNotFound if the prompt does not.
func (s *Store) SetLabel(ctx context.Context, name string, l *promptsv1.Label, by string) (*promptsv1.Label, error) {
	var out *promptsv1.Label
	err := s.write(ctx, func(t *tx) error {
		if _, err := t.q.GetPrompt(ctx, name); err != nil {
			return fmt.Errorf("get prompt: %w", storage.MapError(err))
		}
		if err := t.setLabel(ctx, name, l, by); err != nil {
			return err
		}
		if err := t.q.TouchPrompt(ctx, promptsql.TouchPromptParams{Name: name, Now: t.now}); err != nil {
			return fmt.Errorf("touch prompt: %w", err)
		}
		p, err := prompt(ctx, t.q, name)
		if err != nil {
			return err
		}
		for _, x := range p.GetLabels() {
			if x.GetName() == l.GetName() {
				out = x
			}
		}
		return t.change(ctx, KindPrompt, name, false)
	})
	return out, err
}

// DeleteLabel removes a label: storage.ErrNotFound if it does not exist,
// ErrInUse while a publication serves it.
func (s *Store) DeleteLabel(ctx context.Context, name, label string) error {
	return s.write(ctx, func(t *tx) error {
		pubs, err := t.q.ListPublications(ctx, promptsql.ListPublicationsParams{PromptName: name, MaxRows: 1000})
		if err != nil {
			return fmt.Errorf("list publications: %w", err)
		}
		for _, p := range pubs {
			if p.Label == label {
				return fmt.Errorf("%w: /apis/%s serves %s@%s", ErrInUse, p.Slug, name, label)
			}
		}
		n, err := t.q.DeleteLabel(ctx, promptsql.DeleteLabelParams{PromptName: name, Name: label})
		if err != nil {
			return fmt.Errorf("delete label: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("delete label %s@%s: %w", name, label, storage.ErrNotFound)
		}
		if err := t.q.TouchPrompt(ctx, promptsql.TouchPromptParams{Name: name, Now: t.now}); err != nil {
			return fmt.Errorf("touch prompt: %w", err)
		}
		return t.change(ctx, KindPrompt, name, false)
	})
}

// DeletePrompt deletes a prompt with its versions and labels. While it is
// published it fails with ErrInUse, unless force, which also removes the
// publications (their slugs are returned).
func (s *Store) DeletePrompt(ctx context.Context, name string, force bool) ([]string, error) {
	var slugs []string
	err := s.write(ctx, func(t *tx) error {
		pubs, err := t.q.ListPublications(ctx, promptsql.ListPublicationsParams{PromptName: name, MaxRows: 1000})
		if err != nil {
			return fmt.Errorf("list publications: %w", err)
		}
		if len(pubs) > 0 && !force {
			return fmt.Errorf("%w: /apis/%s serves %s", ErrInUse, pubs[0].Slug, name)
		}
		for _, p := range pubs {
			if _, err := t.q.DeletePublication(ctx, p.Slug); err != nil {
				return fmt.Errorf("delete publication: %w", err)
			}
			if err := t.change(ctx, KindPublication, p.Slug, true); err != nil {
				return err
			}
			slugs = append(slugs, p.Slug)
		}
		n, err := t.q.DeletePrompt(ctx, name)
		if err != nil {
			return fmt.Errorf("delete prompt: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("delete prompt %s: %w", name, storage.ErrNotFound)
		}
		return t.change(ctx, KindPrompt, name, true)
	})
	return slugs, err
}

// Publish creates or replaces a publication. ErrSlugTaken if the slug
// serves another prompt, ErrLabelMissing if the label does not exist,
// storage.ErrNotFound if the prompt does not.
func (s *Store) Publish(ctx context.Context, p *promptsv1.Publication, by string) (*promptsv1.Publication, error) {
	var out *promptsv1.Publication
	err := s.write(ctx, func(t *tx) error {
		pr, err := prompt(ctx, t.q, p.GetPromptName())
		if err != nil {
			return err
		}
		found := false
		for _, l := range pr.GetLabels() {
			found = found || l.GetName() == p.GetLabel()
		}
		if !found {
			return fmt.Errorf("%w: %s@%s", ErrLabelMissing, p.GetPromptName(), p.GetLabel())
		}
		if cur, err := t.q.GetPublication(ctx, p.GetSlug()); err == nil && cur.PromptName != p.GetPromptName() {
			return fmt.Errorf("%w: /apis/%s serves %s", ErrSlugTaken, p.GetSlug(), cur.PromptName)
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("get publication: %w", err)
		}
		if err := t.q.UpsertPublication(ctx, promptsql.UpsertPublicationParams{
			Slug: p.GetSlug(), PromptName: p.GetPromptName(), Label: p.GetLabel(), AllowStreaming: p.GetAllowStreaming(),
			Description: p.GetDescription(), CreatedBy: by, Now: t.now,
		}); err != nil {
			return fmt.Errorf("upsert publication: %w", storage.MapError(err))
		}
		row, err := t.q.GetPublication(ctx, p.GetSlug())
		if err != nil {
			return fmt.Errorf("get publication: %w", err)
		}
		out = publicationFromRow(row)
		return t.change(ctx, KindPublication, p.GetSlug(), false)
	})
	return out, err
}

// Unpublish removes a publication, or returns storage.ErrNotFound.
func (s *Store) Unpublish(ctx context.Context, slug string) error {
	return s.write(ctx, func(t *tx) error {
		n, err := t.q.DeletePublication(ctx, slug)
		if err != nil {
			return fmt.Errorf("delete publication: %w", err)
		}
		if n == 0 {
			return storage.ErrNotFound
		}
		return t.change(ctx, KindPublication, slug, true)
	})
}
