// Bulk user creation for the outbox worker (Connector.createUsers): a batch of new users costs one search for existing
// matches (user names and e-mails in one filter) and the adds pipelined on
// one connection, each asking for its anchor with the Post-Read control
// (RFC 4527: the anchor comes back in the add's answer; the values are the
// ones the add wrote) — instead of two searches, an add and a read per user.
// A server that ignores the control gets one search to read the created
// entries back.
// Matching is the same as findUser (match.ts): inside the directory's scope,
// by its matching rules; an existing match is returned as it is (the caller
// links it and brings it in line), never created twice; two candidates or a
// protected one are that item's error.
import { AndFilter, BerWriter, Control, EqualityFilter, OrFilter, type BerReader, type Filter } from 'ldapts';
import { ConnectorError, type CreateUserOptions, type RemoteUser, type RemoteUserData } from '../connector.ts';
import { BerDecodeError, tlvs } from './ber.ts';
import type { LdapSession } from './connection.ts';
import { canonicalDn, normalizeDn, sameDn } from './escape.ts';
import { parseFilter } from './filter.ts';
import { toConnectorError } from './errors.ts';
import { anchorOf, entryToRemoteUser, getUser, searchPages, userAttributes } from './read.ts';
import type { LdapEntry } from './mapping.ts';
import type { LdapSettings } from './settings.ts';
import * as write from './write.ts';
import { findUsers } from './match.ts';

/**
 * Values per OR filter (keeps requests small for any server): a worker batch of 75 users
 * (a user name and an e-mail each) is one search.
 */
const FILTER_CHUNK = 150;

function readAttr(s: LdapSettings, model: string): string | undefined {
  return s.userMapping.find((r) => r.model === model && r.direction !== 'export')?.remote;
}

/**
 * Entries whose attribute equals one of its values (any of the pairs), under the base DN.
 * The filter is built as objects, not as text to be parsed again: a batch's terms are
 * most of its filter work (values go out as raw bytes, so nothing needs escaping).
 */
async function searchByValues(
  session: LdapSession,
  s: LdapSettings,
  pairs: ReadonlyArray<[attr: string, value: string]>,
): Promise<RemoteUser[]> {
  const out: RemoteUser[] = [];
  const seen = new Set<string>();
  const terms: Filter[] = [];
  for (const [attribute, value] of pairs) {
    const key = `${attribute.toLowerCase()}=${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    terms.push(new EqualityFilter({ attribute, value }));
  }
  const users = s.anyUserFilter.trim() ? parseFilter(s.anyUserFilter) : undefined;
  const attributes = userAttributes(s);
  for (let i = 0; i < terms.length; i += FILTER_CHUNK) {
    const any = new OrFilter({ filters: terms.slice(i, i + FILTER_CHUNK) });
    for await (const page of searchPages(session, {
      base: s.baseDn,
      scope: 'sub',
      filter: users ? new AndFilter({ filters: [users, any] }) : any,
      attributes,
      baseIsConfig: true,
    })) {
      for (const e of page) {
        const u = entryToRemoteUser(s, e);
        if (u) out.push(u);
      }
    }
  }
  return out;
}

/** RFC 4527 Post-Read: the added entry's attributes come back in the add's answer. */
export const POST_READ_OID = '1.3.6.1.1.13.2';

/**
 * The Post-Read request control; after the add, `entry` holds what the server
 * returned (undefined when it does not support the control: it is not critical).
 */
export class PostReadControl extends Control {
  readonly attributes: string[];
  /** Attributes whose values stay bytes (objectGUID). */
  readonly binary: string[];
  entry?: LdapEntry;
  constructor(attributes: string[], binary: string[] = []) {
    super(POST_READ_OID, { critical: false });
    this.attributes = attributes;
    this.binary = binary;
  }

  override writeControl(writer: BerWriter): void {
    // AttributeSelection ::= SEQUENCE OF LDAPString
    const w = new BerWriter();
    w.startSequence();
    for (const a of this.attributes) w.writeString(a);
    w.endSequence();
    writer.writeBuffer(w.buffer, 0x04);
  }

  override parseControl(reader: BerReader): void {
    try {
      this.entry = decodePostReadEntry(reader.remainingBuffer, this.binary);
    } catch {
      // A value that does not decode must not fail the add it came with: the entry is read back instead.
      this.entry = undefined;
    }
  }
}

/**
 * The Post-Read value, a SearchResultEntry ([APPLICATION 4] { objectName, attributes }), decoded
 * with every length checked (ber.ts). Single values as one string, several as an array, as
 * ldapts gives them; the `binary` attributes stay bytes.
 */
export function decodePostReadEntry(value: Uint8Array, binary: string[]): LdapEntry {
  const [e, extra] = [...tlvs(value)];
  if (!e || extra || e.tag !== 0x64) throw new BerDecodeError('not one SearchResultEntry');
  const [dn, attrs] = [...tlvs(e.value)];
  if (dn?.tag !== 0x04 || attrs?.tag !== 0x30) throw new BerDecodeError('no DN or no attribute list');
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  const entry: LdapEntry = { dn: text(dn.value) };
  for (const a of tlvs(attrs.value)) {
    const [type, vals] = a.tag === 0x30 ? [...tlvs(a.value)] : [];
    if (type?.tag !== 0x04 || vals?.tag !== 0x31) throw new BerDecodeError('malformed attribute');
    const name = text(type.value);
    const bytes = binary.some((b) => b.toLowerCase() === name.toLowerCase());
    const values = [...tlvs(vals.value)].map((v) => (bytes ? Buffer.from(v.value) : text(v.value)));
    entry[name] = values.length === 1 ? values[0] : values;
  }
  return entry;
}

/**
 * Creates the users of a batch: one result per item, in order — the created
 * (or already existing, matched) user, or the error for that item alone.
 */
export async function createUsers(
  session: LdapSession,
  s: LdapSettings,
  batch: ReadonlyArray<{ data: RemoteUserData; opts?: CreateUserOptions }>,
): Promise<Array<RemoteUser | ConnectorError>> {
  const existing = await findUsers(
    session,
    s,
    batch.map((b) => b.data),
  );
  const results: Array<RemoteUser | ConnectorError | undefined> = [...existing];
  // Existing matches: linked by the caller; the password the admin chose still applies.
  await Promise.all(
    batch.map(async (b, i) => {
      const found = existing[i];
      if (!found || found instanceof ConnectorError || b.opts?.password === undefined) return;
      try {
        await write.setPassword(session, s, found.ref, b.opts.password, { mustChange: b.opts.mustChangePassword });
      } catch (e) {
        results[i] = toConnectorError(e);
      }
    }),
  );
  // New ones: the adds go out together on this connection, each reading its anchor back.
  const created = new Map<number, string>();
  const postRead = new Map<number, PostReadControl>();
  const anchorOnly = [s.anchorAttribute];
  const binary = s.anchorAttribute === 'objectGUID' ? anchorOnly : [];
  await Promise.all(
    batch.map(async (b, i) => {
      if (existing[i]) return;
      try {
        const c = new PostReadControl(anchorOnly, binary);
        postRead.set(i, c);
        created.set(i, await write.createUser(session, s, b.data, { ...b.opts, controls: [c] }));
      } catch (e) {
        const err = toConnectorError(e);
        if (err.code !== 'already_exists') {
          results[i] = err;
          return;
        }
        // Made meanwhile (or a resend after a lost answer): match it like findUser would.
        try {
          const [again] = await findUsers(session, s, [b.data]);
          results[i] = again ?? err;
        } catch (e2) {
          results[i] = toConnectorError(e2);
        }
      }
    }),
  );
  // The anchor each add sent back, with the DN as the server holds it. The values are the ones
  // the add has just written: reading them back too cost more than the rest of the answer to
  // parse, and a write the server refused is an error.
  for (const [i, dn] of created) {
    const entry = postRead.get(i)?.entry;
    const anchor = entry && anchorOf(s, entry);
    if (entry && anchor && (entry.dn === dn || sameDn(entry.dn, dn))) {
      results[i] = { anchor, ref: canonicalDn(entry.dn), data: batch[i]!.data };
      created.delete(i);
    }
  }
  if (created.size > 0) {
    // Read the rest back (anchors, values as stored): one search by user name when the
    // DN is found that way, a base read for the rest.
    const byDn = new Map<string, RemoteUser>();
    const nameAttr = readAttr(s, 'userName');
    if (nameAttr) {
      const pairs = [...created.keys()]
        .map((i): [string, string] => [nameAttr, batch[i]!.data.userName])
        .filter(([, v]) => !!v);
      try {
        for (const u of await searchByValues(session, s, pairs)) byDn.set(normalizeDn(u.ref), u);
      } catch {
        /* fall back to base reads below */
      }
    }
    await Promise.all(
      [...created].map(async ([i, dn]) => {
        try {
          const u = byDn.get(normalizeDn(dn)) ?? (await getUser(session, s, dn));
          results[i] =
            u ??
            new ConnectorError('not_found', `The user ${dn} was written but cannot be read back.`, { details: { dn } });
        } catch (e) {
          results[i] = toConnectorError(e);
        }
      }),
    );
  }
  return results.map((r) => r ?? new ConnectorError('unknown', 'The directory gave no answer for this user.'));
}
