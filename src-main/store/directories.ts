// Directories repository: configuration as JSON, secrets kept apart (vault).
import { randomUUID } from 'node:crypto';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { Db } from './db.ts';
import { nowIso } from './db.ts';

export interface DirectoryRecord {
  id: string;
  config: DirectoryConfig;
  lastVerify?: { at: string; ok: boolean; summary: string };
  deltaState?: string;
  created: string;
  modified: string;
}

interface DirDb {
  id: string;
  config: string;
  last_verify: string | null;
  delta_state: string | null;
  created: string;
  modified: string;
}
const toRecord = (r: DirDb): DirectoryRecord => ({
  id: r.id,
  config: JSON.parse(r.config) as DirectoryConfig,
  lastVerify: r.last_verify ? JSON.parse(r.last_verify) : undefined,
  deltaState: r.delta_state ?? undefined,
  created: r.created,
  modified: r.modified,
});

export class DirectoriesRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  all(): DirectoryRecord[] {
    return this.db.all<DirDb>('SELECT * FROM directories ORDER BY name').map(toRecord);
  }
  get(id: string): DirectoryRecord | undefined {
    const r = this.db.get<DirDb>('SELECT * FROM directories WHERE id = ?', id);
    return r && toRecord(r);
  }
  byName(name: string): DirectoryRecord | undefined {
    const r = this.db.get<DirDb>('SELECT * FROM directories WHERE name = ?', name);
    return r && toRecord(r);
  }

  insert(config: DirectoryConfig, id: string = randomUUID()): DirectoryRecord {
    const now = nowIso();
    this.db.run(
      'INSERT INTO directories (id, name, kind, config, created, modified) VALUES (?, ?, ?, ?, ?, ?)',
      id,
      config.name,
      config.kind,
      JSON.stringify(config),
      now,
      now,
    );
    return this.get(id)!;
  }

  update(id: string, config: DirectoryConfig): DirectoryRecord {
    this.db.run(
      'UPDATE directories SET name = ?, kind = ?, config = ?, modified = ? WHERE id = ?',
      config.name,
      config.kind,
      JSON.stringify(config),
      nowIso(),
      id,
    );
    return this.get(id)!;
  }

  setLastVerify(id: string, v: { at: string; ok: boolean; summary: string }): void {
    this.db.run('UPDATE directories SET last_verify = ? WHERE id = ?', JSON.stringify(v), id);
  }

  setDeltaState(id: string, state: string | null): void {
    this.db.run('UPDATE directories SET delta_state = ? WHERE id = ?', state, id);
  }

  delete(id: string): void {
    this.db.run('DELETE FROM directories WHERE id = ?', id);
  }
}
