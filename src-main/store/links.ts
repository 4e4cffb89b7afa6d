// Links: which remote object (anchor, ref) a local user or group is in each
// directory, and its provisioning state there.
import type { Db, SqlValue } from './db.ts';
import { nowIso } from './db.ts';
import type { ProvisioningState } from '../../src-preload/contract/users.ts';

export interface Link {
  directoryId: string;
  objectType: 'user' | 'group';
  localId: string;
  anchor: string | null;
  ref: string | null;
  state: ProvisioningState['state'];
  reason: string | null;
  hash: string | null;
  updated: string;
}

interface LinkDb {
  directory_id: string;
  object_type: 'user' | 'group';
  local_id: string;
  anchor: string | null;
  ref: string | null;
  state: ProvisioningState['state'];
  reason: string | null;
  hash: string | null;
  updated: string;
}
const toLink = (r: LinkDb): Link => ({
  directoryId: r.directory_id,
  objectType: r.object_type,
  localId: r.local_id,
  anchor: r.anchor,
  ref: r.ref,
  state: r.state,
  reason: r.reason,
  hash: r.hash,
  updated: r.updated,
});

/** Rows per statement of upsertMany (9 values each: well under SQLite's 32,766 variables). */
const UPSERT_BATCH = 500;

export class LinksRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(directoryId: string, objectType: Link['objectType'], localId: string): Link | undefined {
    const r = this.db.get<LinkDb>(
      'SELECT * FROM links WHERE directory_id = ? AND object_type = ? AND local_id = ?',
      directoryId,
      objectType,
      localId,
    );
    return r && toLink(r);
  }

  byAnchor(directoryId: string, objectType: Link['objectType'], anchor: string): Link | undefined {
    const r = this.db.get<LinkDb>(
      'SELECT * FROM links WHERE directory_id = ? AND object_type = ? AND anchor = ?',
      directoryId,
      objectType,
      anchor,
    );
    return r && toLink(r);
  }

  /**
   * The links with any of these anchors or local ids: what a plan of many rows can touch, in one
   * query instead of a look-up per row (the lists go in as JSON arrays).
   */
  forPlan(
    directoryId: string,
    objectType: Link['objectType'],
    anchors: readonly string[],
    localIds: readonly string[],
  ): Link[] {
    if (anchors.length === 0 && localIds.length === 0) return [];
    return this.db
      .all<LinkDb>(
        // Anchor by anchor on links_anchor (CROSS JOIN keeps the list outside): written as
        // "anchor IN (list)" the planner walked every link of the directory instead.
        `SELECT l.* FROM json_each(?3) j CROSS JOIN links l WHERE l.directory_id = ?1 AND l.object_type = ?2 AND l.anchor = j.value
         UNION
         SELECT * FROM links WHERE directory_id = ?1 AND object_type = ?2 AND local_id IN (SELECT value FROM json_each(?4))`,
        directoryId,
        objectType,
        JSON.stringify(anchors),
        JSON.stringify(localIds),
      )
      .map(toLink);
  }

  /** The links of these local objects (one query for a batch; objects without a link are absent). */
  forLocals(directoryId: string, objectType: Link['objectType'], localIds: readonly string[]): Map<string, Link> {
    const out = new Map<string, Link>();
    if (localIds.length === 0) return out;
    for (const r of this.db.all<LinkDb>(
      'SELECT * FROM links WHERE directory_id = ? AND object_type = ? AND local_id IN (SELECT value FROM json_each(?))',
      directoryId,
      objectType,
      JSON.stringify(localIds),
    ))
      out.set(r.local_id, toLink(r));
    return out;
  }

  /** The link whose remote ref (DN / id) is this one, compared case-insensitively for DNs. */
  byRef(directoryId: string, objectType: Link['objectType'], ref: string): Link | undefined {
    const r =
      this.db.get<LinkDb>(
        'SELECT * FROM links WHERE directory_id = ? AND object_type = ? AND ref = ?',
        directoryId,
        objectType,
        ref,
      ) ??
      this.db.get<LinkDb>(
        'SELECT * FROM links WHERE directory_id = ? AND object_type = ? AND lower(ref) = lower(?)',
        directoryId,
        objectType,
        ref,
      );
    return r && toLink(r);
  }

  forDirectory(directoryId: string, objectType: Link['objectType']): Link[] {
    return this.db
      .all<LinkDb>('SELECT * FROM links WHERE directory_id = ? AND object_type = ?', directoryId, objectType)
      .map(toLink);
  }

  forLocal(localId: string): Link[] {
    return this.db.all<LinkDb>('SELECT * FROM links WHERE local_id = ?', localId).map(toLink);
  }

  upsert(l: Omit<Link, 'updated'> & { updated?: string }): void {
    this.db.run(
      `INSERT INTO links (directory_id, object_type, local_id, anchor, ref, state, reason, hash, updated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(directory_id, object_type, local_id) DO UPDATE SET anchor = excluded.anchor, ref = excluded.ref,
         state = excluded.state, reason = excluded.reason, hash = excluded.hash, updated = excluded.updated`,
      l.directoryId,
      l.objectType,
      l.localId,
      l.anchor,
      l.ref,
      l.state,
      l.reason,
      l.hash,
      l.updated ?? nowIso(),
    );
  }

  /**
   * Many upserts, in order, with multi-row statements (a flush of provisioning results): one
   * statement per link costs several times more. Later rows for the same object win, as with upsert.
   */
  upsertMany(links: ReadonlyArray<Omit<Link, 'updated'> & { updated?: string }>): void {
    const now = nowIso();
    for (let i = 0; i < links.length; i += UPSERT_BATCH) {
      const chunk = links.slice(i, i + UPSERT_BATCH);
      // One statement may not touch the same row twice (ON CONFLICT sees rows it inserted itself, but
      // a repeat within the VALUES list would do so): a chunk with repeats goes row by row.
      const keys = new Set(chunk.map((l) => `${l.directoryId}\u0000${l.objectType}\u0000${l.localId}`));
      if (keys.size < chunk.length) {
        for (const l of chunk) this.upsert(l);
        continue;
      }
      const params: SqlValue[] = [];
      for (const l of chunk)
        params.push(
          l.directoryId,
          l.objectType,
          l.localId,
          l.anchor,
          l.ref,
          l.state,
          l.reason,
          l.hash,
          l.updated ?? now,
        );
      this.db.run(
        `INSERT INTO links (directory_id, object_type, local_id, anchor, ref, state, reason, hash, updated)
         VALUES ${Array(chunk.length).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT(directory_id, object_type, local_id) DO UPDATE SET anchor = excluded.anchor, ref = excluded.ref,
           state = excluded.state, reason = excluded.reason, hash = excluded.hash, updated = excluded.updated`,
        ...params,
      );
    }
  }

  setState(
    directoryId: string,
    objectType: Link['objectType'],
    localId: string,
    state: Link['state'],
    reason?: string,
  ) {
    this.db.run(
      `INSERT INTO links (directory_id, object_type, local_id, state, reason, updated) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(directory_id, object_type, local_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
         updated = excluded.updated`,
      directoryId,
      objectType,
      localId,
      state,
      reason ?? null,
      nowIso(),
    );
  }

  delete(directoryId: string, objectType: Link['objectType'], localId: string): void {
    this.db.run(
      'DELETE FROM links WHERE directory_id = ? AND object_type = ? AND local_id = ?',
      directoryId,
      objectType,
      localId,
    );
  }

  /** Per-object states with the directory's name, for detail panels. */
  statesOf(localId: string): ProvisioningState[] {
    return this.db
      .all<{
        directory_id: string;
        name: string;
        state: ProvisioningState['state'];
        reason: string | null;
        updated: string;
      }>(
        `SELECT l.directory_id, d.name, l.state, l.reason, l.updated FROM links l JOIN directories d ON d.id = l.directory_id
         WHERE l.local_id = ? ORDER BY d.name`,
        localId,
      )
      .map((r) => ({
        directoryId: r.directory_id,
        directoryName: r.name,
        state: r.state,
        reason: r.reason ?? undefined,
        updated: r.updated,
      }));
  }

  /** Compact states of every object of a type, for lists: localId → [[dirId, state]]. */
  compactStates(objectType: Link['objectType']): Map<string, Array<[string, Link['state']]>> {
    const map = new Map<string, Array<[string, Link['state']]>>();
    for (const r of this.db.all<{ local_id: string; directory_id: string; state: Link['state'] }>(
      'SELECT local_id, directory_id, state FROM links WHERE object_type = ?',
      objectType,
    )) {
      let list = map.get(r.local_id);
      if (!list) map.set(r.local_id, (list = []));
      list.push([r.directory_id, r.state]);
    }
    return map;
  }
}
