-- supportd schema, version 1.
-- Times are stored as INTEGER Unix milliseconds (UTC) so that comparisons and
-- indexes are cheap and unambiguous.

CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY AUTOINCREMENT, -- the number customers see as [#N]
    subject           TEXT    NOT NULL DEFAULT '',
    customer_addr     TEXT    NOT NULL,                  -- normalised (lower-case)
    customer_name     TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL CHECK (status IN ('active','pending','closed')),
    assignee          TEXT    NOT NULL DEFAULT '',       -- agent address, '' while unassigned
    restatement       TEXT    NOT NULL DEFAULT '',
    class             TEXT    NOT NULL DEFAULT 'human',  -- class of the first message
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    acked_at          INTEGER,                           -- acknowledgement enqueued
    first_response_at INTEGER,                           -- first agent reply (the metric)
    closed_at         INTEGER,
    closed_by         TEXT    NOT NULL DEFAULT '',
    resolved          INTEGER NOT NULL DEFAULT 0,
    customer_msgs     INTEGER NOT NULL DEFAULT 0,
    agent_replies     INTEGER NOT NULL DEFAULT 0,
    no_followup       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tickets_status ON tickets (status, updated_at);
CREATE INDEX tickets_customer ON tickets (customer_addr);

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id),
    message_id    TEXT    NOT NULL,          -- without angle brackets
    direction     TEXT    NOT NULL CHECK (direction IN ('in','out')),
    from_addr     TEXT    NOT NULL DEFAULT '',
    from_name     TEXT    NOT NULL DEFAULT '',
    to_addrs      TEXT    NOT NULL DEFAULT '',   -- comma separated, for display
    subject       TEXT    NOT NULL DEFAULT '',
    date          INTEGER NOT NULL,              -- the Date header (or arrival time)
    text          TEXT    NOT NULL DEFAULT '',
    class         TEXT    NOT NULL DEFAULT '',
    raw           BLOB,                          -- DEFLATE-compressed RFC 5322 bytes
    raw_size      INTEGER NOT NULL DEFAULT 0,    -- uncompressed size of the original
    raw_truncated INTEGER NOT NULL DEFAULT 0,    -- 1 when the original exceeded the size limit
    mailbox       TEXT,
    uidvalidity   INTEGER,
    uid           INTEGER,
    created_at    INTEGER NOT NULL
);
-- Idempotent ingest: the same server message, or the same Message-ID, is stored once.
CREATE UNIQUE INDEX messages_uid ON messages (mailbox, uidvalidity, uid) WHERE uid IS NOT NULL;
CREATE UNIQUE INDEX messages_msgid ON messages (message_id, direction);
CREATE INDEX messages_ticket ON messages (ticket_id, id);

CREATE TABLE participants (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    addr      TEXT    NOT NULL,
    name      TEXT    NOT NULL DEFAULT '',
    role      TEXT    NOT NULL CHECK (role IN ('customer','cc','agent')),
    PRIMARY KEY (ticket_id, addr)
);

CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    actor     TEXT    NOT NULL DEFAULT '',
    detail    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_ticket ON events (ticket_id, id);
CREATE INDEX events_kind_at ON events (kind, at);
-- The event log is append-only: reports are computed from it.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE mailbox_state (
    mailbox     TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       INTEGER REFERENCES tickets (id),
    message_id      TEXT    NOT NULL UNIQUE,  -- assigned at enqueue: a resend is recognisable
    kind            TEXT    NOT NULL,         -- ack, relay, notify, alert, followup, ...
    env_from        TEXT    NOT NULL,
    rcpt            TEXT    NOT NULL,         -- one recipient per row, normalised
    auto            INTEGER NOT NULL DEFAULT 0, -- automatic mail, counted by the per-sender limit
    raw             BLOB    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sent','failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    give_up_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    copied_at       INTEGER                   -- appended to the Sent folder
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_auto_rcpt ON outbox (rcpt, created_at) WHERE auto = 1;

CREATE TABLE timers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER REFERENCES tickets (id),
    kind         TEXT    NOT NULL,
    due_at       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    fired_at     INTEGER,
    cancelled_at INTEGER,
    payload      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_ticket ON timers (ticket_id);

-- Addresses that hard-bounced get no automatic mail until the given time.
CREATE TABLE suppressions (
    addr   TEXT PRIMARY KEY,
    until  INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
