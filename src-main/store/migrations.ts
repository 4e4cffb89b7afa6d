// Versioned schema. Each entry runs once, in order, inside a transaction;
// PRAGMA user_version records how far a data file has come. Never edit an
// entry that has shipped: add a new one.
export const migrations: string[] = [
  /* 1: the hub */ `
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO counters VALUES ('localChange', 0);

  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    employee_number TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    data TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX users_email ON users(email);

  CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
  );

  CREATE TABLE memberships (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    member_id TEXT NOT NULL,
    member_type TEXT NOT NULL CHECK (member_type IN ('User','Group')),
    PRIMARY KEY (group_id, member_id)
  ) WITHOUT ROWID;
  CREATE INDEX memberships_member ON memberships(member_id);

  CREATE TABLE directories (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    last_verify TEXT,
    delta_state TEXT,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
  );

  CREATE TABLE links (
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    object_type TEXT NOT NULL CHECK (object_type IN ('user','group')),
    local_id TEXT NOT NULL,
    anchor TEXT,
    ref TEXT,
    state TEXT NOT NULL CHECK (state IN ('provisioned','pending','failed')),
    reason TEXT,
    hash TEXT,
    updated TEXT NOT NULL,
    PRIMARY KEY (directory_id, object_type, local_id)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX links_anchor ON links(directory_id, object_type, anchor) WHERE anchor IS NOT NULL;
  CREATE INDEX links_local ON links(local_id);

  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    object_type TEXT NOT NULL,
    local_id TEXT NOT NULL,
    op TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending','running','done','failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
  );
  CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
  CREATE INDEX outbox_object ON outbox(local_id);

  CREATE TABLE import_runs (
    id TEXT PRIMARY KEY,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    base_change INTEGER NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    created TEXT NOT NULL,
    finished TEXT
  );

  CREATE TABLE import_rows (
    run_id TEXT NOT NULL REFERENCES import_runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    object_type TEXT NOT NULL,
    action TEXT NOT NULL,
    local_id TEXT,
    anchor TEXT,
    display TEXT NOT NULL,
    changes TEXT,
    data TEXT,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE report_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user_identifier TEXT NOT NULL DEFAULT '',
    user_identifier_lc TEXT NOT NULL DEFAULT '',
    object_type TEXT NOT NULL,
    action TEXT NOT NULL,
    application TEXT NOT NULL DEFAULT '',
    application_lc TEXT NOT NULL DEFAULT '',
    directory_id TEXT,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    run_id TEXT,
    request_id TEXT,
    changes TEXT
  );
  CREATE INDEX report_at ON report_entries(at);
  CREATE INDEX report_app_at ON report_entries(application_lc, at);
  CREATE INDEX report_user_at ON report_entries(user_identifier_lc, at);
  CREATE INDEX report_status_at ON report_entries(status, at);

  CREATE TABLE onboarding (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    token_expires TEXT,
    invited_at TEXT,
    activated_at TEXT,
    reason TEXT
  );

  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  -- Encrypted secrets by owner (directory:<id>, smtp, outbox:<id>); never sent to the renderer.
  CREATE TABLE secrets (owner TEXT PRIMARY KEY, ciphertext BLOB NOT NULL, updated TEXT NOT NULL);
  `,
  /* 2: sync engine: lookups the import, the outbox worker and push need */ `
  CREATE INDEX links_ref ON links(directory_id, object_type, ref) WHERE ref IS NOT NULL;
  CREATE INDEX outbox_dir_state ON outbox(directory_id, state, id);
  CREATE INDEX outbox_dir_object ON outbox(directory_id, local_id, id);
  CREATE INDEX import_rows_action ON import_rows(run_id, object_type, action);
  CREATE INDEX import_runs_dir ON import_runs(directory_id, kind);
  `,
  /* reports: action filter, and a case-insensitive "part of the user identifier" search that does
     not scan a million entries. Distinct identifiers go in report_users (kept by a trigger) with an FTS5
     trigram index over them; a search finds the matching identifiers there, then their entries by
     report_user_at. */ `
  CREATE INDEX report_action_at ON report_entries(action, at);
  CREATE TABLE report_users (id INTEGER PRIMARY KEY, lc TEXT NOT NULL UNIQUE);
  CREATE VIRTUAL TABLE report_users_fts USING fts5(lc, content='report_users', content_rowid='id', tokenize='trigram');
  CREATE TRIGGER report_users_ai AFTER INSERT ON report_users BEGIN
    INSERT INTO report_users_fts(rowid, lc) VALUES (new.id, new.lc);
  END;
  CREATE TRIGGER report_users_ad AFTER DELETE ON report_users BEGIN
    INSERT INTO report_users_fts(report_users_fts, rowid, lc) VALUES ('delete', old.id, old.lc);
  END;
  CREATE TRIGGER report_entries_user AFTER INSERT ON report_entries BEGIN
    INSERT OR IGNORE INTO report_users(lc) VALUES (new.user_identifier_lc);
  END;
  INSERT OR IGNORE INTO report_users(lc) SELECT DISTINCT user_identifier_lc FROM report_entries;
  `,
  /* 4: bulk writers (an import commit of 100,000 rows) may defer the per-row report_users upkeep and
     fill it once, in the same transaction, with one INSERT … SELECT: FTS5 flushes at every statement,
     so a trigger firing per row costs ~15x more. The flag is set and reset inside that transaction
     only; every other writer sees 0 and keeps the per-row trigger. */ `
  INSERT OR IGNORE INTO counters VALUES ('reportUsersDeferred', 0);
  DROP TRIGGER report_entries_user;
  CREATE TRIGGER report_entries_user AFTER INSERT ON report_entries
  WHEN (SELECT value FROM counters WHERE name = 'reportUsersDeferred') = 0
  BEGIN
    INSERT OR IGNORE INTO report_users(lc) VALUES (new.user_identifier_lc);
  END;
  `,
  /* 5: delta imports: the change-tracking token a preview obtained (and the hash of the mapping / matching /
     scope it was read with) is kept with its run; it becomes the directory's token (directories.delta_state)
     only when that run is committed. */ `
  ALTER TABLE import_runs ADD COLUMN delta TEXT;
  `,
  /* 6: the outbox at directory scale. `head` marks the first unfinished item of each object, so a claim
     walks only items that may run now (a short index range) instead of checking every waiting item for an
     earlier one of its object: the cost of a claim no longer grows with the backlog. `owner` names the
     process that claimed an item, so crash recovery resumes only items whose owner is gone. `open` (pending
     or running) keys the per-object indexes instead of `state`, so a claim (pending → running) leaves
     them alone: they are ordered by object, and rewriting a scattered page per claimed item made a claim
     cost more as the backlog grew. A user deleted
     in the app stays (`removing`) until every directory has confirmed its disable or delete. */ `
  ALTER TABLE outbox ADD COLUMN head INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE outbox ADD COLUMN owner TEXT;
  ALTER TABLE outbox ADD COLUMN open INTEGER NOT NULL DEFAULT 1;
  UPDATE outbox SET open = state IN ('pending','running');
  ALTER TABLE users ADD COLUMN removing INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX outbox_unfinished ON outbox(directory_id, local_id, id) WHERE open = 1;
  CREATE INDEX outbox_heads ON outbox(directory_id, id) WHERE state = 'pending' AND head = 1;
  CREATE INDEX outbox_heads_due ON outbox(next_attempt_at) WHERE state = 'pending' AND head = 1;
  CREATE INDEX outbox_creates ON outbox(directory_id, local_id) WHERE op IN ('user.create','group.create') AND open = 1;
  UPDATE outbox SET head = 1 WHERE open = 1 AND NOT EXISTS (
    SELECT 1 FROM outbox p WHERE p.directory_id = outbox.directory_id AND p.local_id = outbox.local_id
      AND p.id < outbox.id AND p.open = 1);
  `,
  /* 7: a link may be 'skipped': the object is deliberately not provisioned in that directory (a disabled user
     where the directory cannot hold a disabled account), with the reason. SQLite cannot alter a CHECK, so the
     table is rebuilt. */ `
  CREATE TABLE links_new (
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    object_type TEXT NOT NULL CHECK (object_type IN ('user','group')),
    local_id TEXT NOT NULL,
    anchor TEXT,
    ref TEXT,
    state TEXT NOT NULL CHECK (state IN ('provisioned','pending','failed','skipped')),
    reason TEXT,
    hash TEXT,
    updated TEXT NOT NULL,
    PRIMARY KEY (directory_id, object_type, local_id)
  ) WITHOUT ROWID;
  INSERT INTO links_new SELECT directory_id, object_type, local_id, anchor, ref, state, reason, hash, updated FROM links;
  DROP TABLE links;
  ALTER TABLE links_new RENAME TO links;
  CREATE UNIQUE INDEX links_anchor ON links(directory_id, object_type, anchor) WHERE anchor IS NOT NULL;
  CREATE INDEX links_local ON links(local_id);
  CREATE INDEX links_ref ON links(directory_id, object_type, ref) WHERE ref IS NOT NULL;
  `,
  /* 8: a user mailed a temporary password has its own onboarding status (was 'invited' without a link). */ `
  UPDATE onboarding SET status = 'temporaryPassword'
  WHERE status = 'invited' AND token_hash IS NULL AND reason LIKE 'Temporary password mailed.%';
  `,
  /* 9: a disabled account mailed a link may be enabled when the user sets the password (chosen per send). */ `
  ALTER TABLE onboarding ADD COLUMN enable_on_activation INTEGER NOT NULL DEFAULT 0;
  `,
];
