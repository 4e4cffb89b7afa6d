// Bulk user creation for the outbox worker (BulkUserCreator, duck-typed in
// sync/provision.ts): a batch of new users costs one search for existing
// matches, the adds pipelined on one connection, and one search to read the
// created entries back — instead of two searches, an add and a read per user.
// Matching is the same as findUser: by the mapped userName attribute first,
// then by the mapped e-mail attribute; an existing match is returned as it is
// (the caller links it and brings it in line), never created twice.
import { ConnectorError, type CreateUserOptions, type RemoteUser, type RemoteUserData } from '../connector.ts';
import { primaryEmail } from '../../../src-preload/model.ts';
import type { LdapSession } from './connection.ts';
import { andFilters, ldapFilter, normalizeDn } from './escape.ts';
import { toConnectorError } from './errors.ts';
import { entryToRemoteUser, getUser, searchPages, userAttributes } from './read.ts';
import type { LdapSettings } from './settings.ts';
import * as write from './write.ts';

/** Values per OR filter (keeps requests small for any server). */
const FILTER_CHUNK = 100;

function readAttr(s: LdapSettings, model: string): string | undefined {
  return s.userMapping.find((r) => r.model === model && r.direction !== 'export')?.remote;
}

/** Entries whose `attr` equals one of the values, under the base DN. */
async function searchByValues(
  session: LdapSession,
  s: LdapSettings,
  attr: string,
  vals: string[],
): Promise<RemoteUser[]> {
  const out: RemoteUser[] = [];
  const unique = [...new Set(vals)];
  for (let i = 0; i < unique.length; i += FILTER_CHUNK) {
    const or = unique
      .slice(i, i + FILTER_CHUNK)
      .map((v) => `(${attr}=${ldapFilter`${v}`})`)
      .join('');
    for await (const page of searchPages(session, {
      base: s.baseDn,
      scope: 'sub',
      filter: andFilters(s.anyUserFilter, `(|${or})`),
      attributes: userAttributes(s),
      pageSize: 500,
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

const lc = (v: string | undefined) => (v ?? '').toLowerCase();

/** Existing users matching each item (userName first, then e-mail), or undefined. */
export async function matchUsers(
  session: LdapSession,
  s: LdapSettings,
  batch: ReadonlyArray<RemoteUserData>,
): Promise<Array<RemoteUser | undefined>> {
  const nameAttr = readAttr(s, 'userName');
  const mailAttr = readAttr(s, 'emails.work') ?? readAttr(s, 'emails');
  const byName = new Map<string, RemoteUser>();
  const byMail = new Map<string, RemoteUser>();
  if (nameAttr) {
    const names = batch.map((d) => d.userName).filter((v) => !!v);
    for (const u of await searchByValues(session, s, nameAttr, names))
      if (!byName.has(lc(u.data.userName))) byName.set(lc(u.data.userName), u);
  }
  const result: Array<RemoteUser | undefined> = batch.map((d) => (d.userName ? byName.get(lc(d.userName)) : undefined));
  if (mailAttr) {
    const mails = batch.map((d, i) => (result[i] ? undefined : primaryEmail(d))).filter((v): v is string => !!v);
    if (mails.length > 0) {
      for (const u of await searchByValues(session, s, mailAttr, mails))
        for (const m of u.data.emails) if (!byMail.has(lc(m.value))) byMail.set(lc(m.value), u);
      batch.forEach((d, i) => {
        if (!result[i]) {
          const m = primaryEmail(d);
          if (m) result[i] = byMail.get(lc(m));
        }
      });
    }
  }
  return result;
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
  const existing = await matchUsers(
    session,
    s,
    batch.map((b) => b.data),
  );
  const results: Array<RemoteUser | ConnectorError | undefined> = [...existing];
  // Existing matches: linked by the caller; the password the admin chose still applies.
  await Promise.all(
    batch.map(async (b, i) => {
      const found = existing[i];
      if (!found || b.opts?.password === undefined) return;
      try {
        await write.setPassword(session, s, found.ref, b.opts.password, { mustChange: b.opts.mustChangePassword });
      } catch (e) {
        results[i] = toConnectorError(e);
      }
    }),
  );
  // New ones: the adds go out together on this connection.
  const created = new Map<number, string>();
  await Promise.all(
    batch.map(async (b, i) => {
      if (existing[i]) return;
      try {
        created.set(i, await write.createUser(session, s, b.data, b.opts));
      } catch (e) {
        const err = toConnectorError(e);
        if (err.code !== 'already_exists') {
          results[i] = err;
          return;
        }
        // Made meanwhile (or a resend after a lost answer): match it like findUser would.
        try {
          const [again] = await matchUsers(session, s, [b.data]);
          results[i] = again ?? err;
        } catch (e2) {
          results[i] = toConnectorError(e2);
        }
      }
    }),
  );
  if (created.size > 0) {
    // Read the created entries back (anchors, values as stored): one search by user name when the
    // DN is found that way, a base read for the rest.
    const byDn = new Map<string, RemoteUser>();
    const nameAttr = readAttr(s, 'userName');
    if (nameAttr) {
      const names = [...created.keys()].map((i) => batch[i]!.data.userName).filter((v) => !!v);
      try {
        for (const u of await searchByValues(session, s, nameAttr, names)) byDn.set(normalizeDn(u.ref), u);
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
