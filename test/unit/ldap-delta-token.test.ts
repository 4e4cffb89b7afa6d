// The generic-LDAP change-tracking token v2 (src-main/connectors/ldap/delta.ts): each object's
// entryCSN as it was read, packed; what a scan finds against it; the stamps a full listing collects.
// The reads against a real slapd (and v1 tokens still read) are in test/integration/ldap-slapd-delta.test.ts.
import { describe, expect, it } from 'vitest';
import {
  compareStamps,
  ListingStamps,
  packStamps,
  stampToken,
  unpackStamps,
} from '../../src-main/connectors/ldap/delta.ts';

const csn = (us: number) => `20260101120000.${String(us).padStart(6, '0')}Z#000000#000#000000`;
const uuid = (n: number) => `d101${n.toString(16).padStart(4, '0')}-7fac-1041-9026-1d672355f1c7`;

describe('v2 token: stamps packed', () => {
  it('round-trips anchors with their stamps, empty stamps and odd anchors included', () => {
    const m = new Map<string, string>([
      [uuid(3), csn(30)],
      [uuid(1), csn(10)],
      [uuid(2), ''],
      ['a', csn(1)],
      ['ab', csn(1)],
      ['Zoë 山田 \\ , +', csn(99)],
    ]);
    const back = unpackStamps(packStamps(m));
    expect([...back.entries()].sort()).toEqual([...m.entries()].sort());
    expect(unpackStamps(packStamps(new Map())).size).toBe(0);
    expect(unpackStamps(undefined).size).toBe(0);
  });

  it('is compact: sorted, front-coded and deflated (well under the plain text)', () => {
    const m = new Map<string, string>();
    for (let i = 0; i < 5000; i++) m.set(uuid(i * 7), csn(i * 90));
    const packed = packStamps(m);
    const plain = [...m].map(([a, c]) => `${a}\t${c}`).join('\n').length;
    expect(packed.length).toBeLessThan(plain / 8);
    expect(unpackStamps(packed)).toEqual(m);
  });

  it('the token keeps users and groups apart and leaves out a type that was not read', () => {
    const users = new Map([[uuid(1), csn(1)]]);
    const groups = new Map([[uuid(2), csn(2)]]);
    const both = JSON.parse(stampToken(users, groups)) as { v: number; t: string; u?: string; g?: string };
    expect(both).toMatchObject({ v: 2, t: 'ldap' });
    expect(unpackStamps(both.u)).toEqual(users);
    expect(unpackStamps(both.g)).toEqual(groups);
    const usersOnly = JSON.parse(stampToken(users, undefined)) as { g?: string };
    expect(usersOnly.g).toBeUndefined();
  });
});

describe('v2 token: what changed since it', () => {
  it('changed = new anchors and anchors with another stamp; removed = anchors gone', () => {
    const before = new Map([
      ['same', csn(1)],
      ['edited', csn(2)],
      ['deleted', csn(3)],
    ]);
    const now = new Map([
      ['same', csn(1)],
      ['edited', csn(7)],
      ['added', csn(8)],
    ]);
    expect(compareStamps(before, now)).toEqual({ changed: ['edited', 'added'], removed: ['deleted'] });
  });

  it('an entry without a stamp (now or in the token) is always read again', () => {
    const before = new Map([
      ['unstamped', ''],
      ['was-unstamped', ''],
    ]);
    const now = new Map([
      ['unstamped', ''],
      ['was-unstamped', csn(5)],
    ]);
    expect(compareStamps(before, now).changed.sort()).toEqual(['unstamped', 'was-unstamped']);
  });

  it('nothing changed: nothing to read', () => {
    const m = new Map([
      ['a', csn(1)],
      ['b', csn(2)],
    ]);
    expect(compareStamps(m, new Map(m))).toEqual({ changed: [], removed: [] });
  });
});

describe('the stamps a full listing collects', () => {
  const entry = (c?: string) => (c === undefined ? { dn: 'uid=x' } : { dn: 'uid=x', entryCSN: [c] });

  it('gives a token only once every listing it started ran to its end', () => {
    const l = new ListingStamps();
    expect(l.token()).toBeUndefined();
    const users = l.start('users');
    users.add('u1', entry(csn(1)));
    users.add('u2', { dn: 'uid=y', entrycsn: Buffer.from(csn(2)) }); // any case, bytes too
    expect(l.token()).toBeUndefined(); // users still listing
    users.complete();
    const groups = l.start('groups');
    groups.add('g1', entry(csn(3)));
    expect(l.token()).toBeUndefined(); // groups cut short
    groups.complete();
    const t = JSON.parse(l.token()!) as { u: string; g: string };
    expect(unpackStamps(t.u)).toEqual(
      new Map([
        ['u1', csn(1)],
        ['u2', csn(2)],
      ]),
    );
    expect(unpackStamps(t.g)).toEqual(new Map([['g1', csn(3)]]));
  });

  it('a listing started again forgets what the earlier one read; a cut one yields no token', () => {
    const l = new ListingStamps();
    const first = l.start('users');
    first.add('old', entry(csn(1)));
    first.complete();
    const again = l.start('users');
    again.add('new', entry(csn(2)));
    expect(l.token()).toBeUndefined();
    again.complete();
    const t = JSON.parse(l.token()!) as { u: string; g?: string };
    expect([...unpackStamps(t.u).keys()]).toEqual(['new']);
    expect(t.g).toBeUndefined(); // groups were not listed: not tracked
  });

  it('an entry read without entryCSN is kept with an empty stamp (read again next time)', () => {
    const l = new ListingStamps();
    const users = l.start('users');
    users.add('bare', entry());
    users.complete();
    const t = JSON.parse(l.token()!) as { u: string };
    const before = unpackStamps(t.u);
    expect(before.get('bare')).toBe('');
    expect(compareStamps(before, new Map([['bare', '']])).changed).toEqual(['bare']);
  });
});
