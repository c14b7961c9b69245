-- Server-side settings supportd makes for itself, e.g. the agent-token key
-- when the configuration names none.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
