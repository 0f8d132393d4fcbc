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
    (
        2,
        """
        -- The analysis record of each parsed message (zlib-compressed
        -- pollwatch.analysis/1 JSON), written in the same batch as the message.
        CREATE TABLE analyses (
            sha256 TEXT PRIMARY KEY REFERENCES messages(sha256),
            record BLOB NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            analysed_at TEXT NOT NULL
        );
        -- How each run verified authentication: offline, live, or a DNS snapshot.
        ALTER TABLE runs ADD COLUMN dns TEXT;
        -- What the cluster stage keeps per message (no body text, no raw bytes).
        CREATE TABLE features (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE REFERENCES messages(sha256),
            fingerprint INTEGER NOT NULL,
            arrival REAL,
            recipient TEXT,
            sender TEXT,
            display TEXT,
            subject TEXT NOT NULL,
            edge_ip TEXT,
            edge_country TEXT,
            edge_asn INTEGER,
            edge_org TEXT,
            origin_country TEXT,
            mailer TEXT,
            report TEXT,
            state TEXT,
            categories TEXT NOT NULL,
            slots TEXT NOT NULL,
            indicators TEXT NOT NULL
        );
        CREATE INDEX features_fingerprint ON features(fingerprint);
        -- One node per distinct masked text: the unit the campaign graph links.
        CREATE TABLE templates (
            fingerprint INTEGER PRIMARY KEY,
            campaign TEXT NOT NULL,
            size INTEGER NOT NULL,
            first_arrival REAL,
            words INTEGER NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            language TEXT,
            shingles BLOB NOT NULL,
            vocabulary BLOB NOT NULL,
            categories TEXT NOT NULL
        );
        CREATE INDEX templates_campaign ON templates(campaign);
        -- LSH buckets of template shingle signatures.
        CREATE TABLE template_bands (
            band INTEGER NOT NULL,
            fingerprint INTEGER NOT NULL,
            PRIMARY KEY (band, fingerprint)
        ) WITHOUT ROWID;
        -- Values that may join templates: sender, reply-to, URL host, wallet, infrastructure.
        CREATE TABLE template_keys (
            key TEXT NOT NULL,
            fingerprint INTEGER NOT NULL,
            PRIMARY KEY (key, fingerprint)
        ) WITHOUT ROWID;
        CREATE INDEX template_keys_fingerprint ON template_keys(fingerprint);
        -- Every link that joined two templates, and why.
        CREATE TABLE template_links (
            a INTEGER NOT NULL,
            b INTEGER NOT NULL,
            kind TEXT NOT NULL,
            value TEXT NOT NULL DEFAULT '',
            score REAL NOT NULL,
            PRIMARY KEY (a, b, kind, value)
        ) WITHOUT ROWID;
        CREATE TABLE campaigns (
            id TEXT PRIMARY KEY,
            created_run INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            merged_into TEXT,
            dirty INTEGER NOT NULL DEFAULT 1,
            size INTEGER NOT NULL DEFAULT 0,
            record BLOB
        );
        CREATE INDEX campaigns_size ON campaigns(size);
        """,
    ),
)

LATEST = MIGRATIONS[-1][0]
