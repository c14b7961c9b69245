// Package store keeps supportd's state in one SQLite file. It is the only
// package that speaks SQL: callers get small typed methods on a transaction.
//
// The file runs in WAL mode with foreign keys on and a busy timeout. Writes go
// through a single connection that begins transactions IMMEDIATE, so two
// writers never deadlock on a lock upgrade; reads use a separate pool and see
// a consistent snapshot while a write is in progress.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned when an insert would break a uniqueness rule,
// e.g. a message already stored under the same Message-ID.
var ErrDuplicate = errors.New("duplicate")

// DB is an open store.
type DB struct {
	write *sql.DB
	read  *sql.DB
	path  string
	// MaxRawSize caps the raw bytes kept per message; larger originals keep
	// their header and the first MaxRawSize bytes, marked truncated.
	maxRaw int64
	// flaters reuses DEFLATE compressors: each new one allocates about a
	// megabyte of tables, which dominated the cost of ingesting a message.
	flaters sync.Pool
}

// Options tune Open.
type Options struct {
	// MaxRawSize is the largest raw message kept whole (0 = 25 MiB).
	MaxRawSize int64
}

// Open opens (creating if needed) the database at path and runs any pending
// migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	// NORMAL is durable across application crashes in WAL mode; only an OS
	// crash or power loss can lose the last transactions, and then the IMAP
	// checkpoint rolls back with them, so the mail is fetched again.
	q.Set("_synchronous", "NORMAL")
	// 32 MB of page cache per connection (the default is 2 MB): the hot
	// index pages of a store with 100k tickets then stay in memory, so an
	// ingest costs the same at 100k tickets as at 1k.
	q.Set("_cache_size", "-32000")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	// The path goes into a file: URI, where '?' starts the query and '#' a
	// fragment; SQLite decodes %HH, so escape those three.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	w, err := sql.Open("sqlite3", "file:"+uriPath+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite3", "file:"+uriPath+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	d := &DB{write: w, read: r, path: path, maxRaw: opts.MaxRawSize}
	if d.maxRaw <= 0 {
		d.maxRaw = 25 << 20
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error {
	return errors.Join(d.read.Close(), d.write.Close())
}

// Path returns the file the store lives in.
func (d *DB) Path() string { return d.path }

func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	type mig struct {
		version int
		name    string
	}
	var migs []mig
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return fmt.Errorf("store: migration %q: name must start with a number and an underscore", e.Name())
		}
		migs = append(migs, mig{v, e.Name()})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for _, m := range migs {
		var n int
		if err := d.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
			return fmt.Errorf("store: migration %d: %w", m.version, err)
		}
		if n > 0 {
			continue
		}
		body, err := migrationFiles.ReadFile("migrations/" + m.name)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		tx, err := d.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.version, time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the newest applied migration.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := d.read.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// Tx is one transaction. Its methods are the store's vocabulary; nothing
// outside this package sees SQL.
type Tx struct {
	tx     *sql.Tx
	ctx    context.Context
	maxRaw int64
	db     *DB
}

// Update runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise.
func (d *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return d.run(ctx, d.write, false, fn)
}

// View runs fn in a read-only transaction.
func (d *DB) View(ctx context.Context, fn func(*Tx) error) error {
	return d.run(ctx, d.read, true, fn)
}

func (d *DB) run(ctx context.Context, db *sql.DB, ro bool, fn func(*Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: ro})
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(&Tx{tx: tx, ctx: ctx, maxRaw: d.maxRaw, db: d}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (t *Tx) exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, q, args...)
}

func (t *Tx) query(q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, q, args...)
}

func (t *Tx) row(q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, q, args...)
}

func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// ms converts a time to the stored form.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts the stored form back, in UTC.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}
