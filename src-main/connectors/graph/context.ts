// What every part of the Graph connector shares for one directory.
import type { DirectoryConfig, EntraConnection } from '../../../src-preload/directory.ts';
import type { CloudEndpoints } from './clouds.ts';
import type { GraphAuth } from './auth.ts';
import type { GraphHttp } from './http.ts';
import type { GroupMapper, UserMapper } from './mapping.ts';
import type { BatchStats } from './batch.ts';

export type EntraConfig = Extract<DirectoryConfig, { kind: 'entra' }>;

export interface GraphContext {
  config: EntraConfig;
  conn: EntraConnection;
  cloud: CloudEndpoints;
  auth: GraphAuth;
  http: GraphHttp;
  users: UserMapper;
  groups: GroupMapper;
  batchStats: BatchStats;
  /** $batch envelopes in flight at once for bulk work. */
  concurrency: number;
}

/** A value inside a $filter string literal: single quotes doubled (OData ABNF). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export const enc = encodeURIComponent;
