package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// Setting returns a stored setting, or ErrNotFound.
func (t *Tx) Setting(name string) ([]byte, error) {
	var v []byte
	err := t.row(`SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("setting %s: %w", name, ErrNotFound)
	}
	return v, err
}

// PutSetting stores a setting, replacing an old value.
func (t *Tx) PutSetting(name string, value []byte) error {
	_, err := t.exec(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}
