"""The catalogue schema, in one place, as numbered migrations.

Migration N runs once, inside a transaction, and records itself in
``schema_migrations``. Never edit a released migration; add the next one.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            operator TEXT NOT NULL,
            host TEXT NOT NULL,
            command TEXT NOT NULL,
            version TEXT NOT NULL,
            new INTEGER NOT NULL DEFAULT 0,
            duplicate INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0
        );
        -- Every file handed to intake, as received: one row per distinct content
        -- (an mbox that grows between runs gets a row per version).
        CREATE TABLE sources (
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL DEFAULT '',
            size INTEGER,
            first_run INTEGER NOT NULL REFERENCES runs(id),
            first_seen_at TEXT NOT NULL,
            PRIMARY KEY (path, sha256)
        );
        -- Raw bytes kept in the blob folder, content-addressed and immutable.
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            stored_at TEXT NOT NULL
        );
        -- One row per distinct message (SHA-256 of its raw bytes).
        CREATE TABLE messages (
            sha256 TEXT PRIMARY KEY REFERENCES blobs(sha256),
            status TEXT NOT NULL CHECK (status IN ('parsed', 'failed')),
            error_code TEXT,
            error_reason TEXT,
            message_id TEXT,
            date TEXT,
            subject TEXT,
            from_address TEXT,
            from_domain TEXT,
            headers_available INTEGER NOT NULL DEFAULT 1,
            recovered TEXT,
            defects TEXT NOT NULL DEFAULT '[]',
            first_run INTEGER NOT NULL REFERENCES runs(id),
            first_ingested_at TEXT NOT NULL
        );
        CREATE INDEX messages_date ON messages(date);
        -- Every place a message was found: file, position, and who reported it.
        CREATE TABLE sightings (
            id INTEGER PRIMARY KEY,
            message_sha256 TEXT NOT NULL REFERENCES messages(sha256),
            source_path TEXT NOT NULL,
            container TEXT NOT NULL,
            position TEXT NOT NULL DEFAULT '',
            report_kind TEXT CHECK (report_kind IN ('attachment', 'inline')),
            reporter TEXT,
            reported_at TEXT,
            wrappers TEXT NOT NULL DEFAULT '[]',
            item_sha256 TEXT NOT NULL,  -- the bytes found at this position, before unwrapping
            defects TEXT NOT NULL DEFAULT '[]',
            run_id INTEGER NOT NULL REFERENCES runs(id),
            ingested_at TEXT NOT NULL,
            UNIQUE (source_path, position, message_sha256)
        );
        CREATE INDEX sightings_message ON sightings(message_sha256);
        CREATE INDEX sightings_item ON sightings(source_path, position, item_sha256);
        -- Items that yielded no message at all (unreadable, bomb, not an email).
        CREATE TABLE failures (
            id INTEGER PRIMARY KEY,
            source_path TEXT NOT NULL,
            container TEXT NOT NULL,
            position TEXT NOT NULL DEFAULT '',
            code TEXT NOT NULL,
            reason TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            ingested_at TEXT NOT NULL,
            UNIQUE (source_path, position, code)
        );
        """,
    ),
)

LATEST = MIGRATIONS[-1][0]
