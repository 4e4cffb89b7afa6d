// The matching decision (sync/matching.ts) and what makes an Active Directory
// object protected (connectors/ldap/protected.ts), without a server.
import { describe, expect, it } from 'vitest';
import { ConnectorError, type RemoteUserData } from '../../src-main/connectors/connector.ts';
import { CandidateIndex, matchKeys, pickGroup, pickMatch, candidateValues } from '../../src-main/sync/matching.ts';
import { parseSid, protectedReason } from '../../src-main/connectors/ldap/protected.ts';
import type { LdapSettings } from '../../src-main/connectors/ldap/settings.ts';

const data = (userName: string, mail?: string, extra: Partial<RemoteUserData> = {}): RemoteUserData => ({
  userName,
  name: {},
  emails: mail ? [{ value: mail, primary: true }] : [],
  phoneNumbers: [],
  active: true,
  ...extra,
});
const listed = (ref: string, d: RemoteUserData, prot?: string) => ({ anchor: ref, ref, data: d, protected: prot });
const sought = { kind: 'user' as const, name: 'ann', directory: 'Corp AD' };
const decide = (rules: Parameters<typeof matchKeys>[0], d: RemoteUserData, cands: Array<ReturnType<typeof listed>>) =>
  pickMatch(sought, matchKeys(rules, d), cands, (c, k) => candidateValues(k.rule, c.data));

describe('pickMatch', () => {
  it('tries the rules in order: the first rule with one candidate decides, values compare without case', () => {
    const byName = listed('uid=ann', data('ANN', 'other@x.test'));
    const byMail = listed('uid=anna', data('anna', 'ann@x.test'));
    expect(decide(['userName', 'email'], data('ann', 'Ann@X.test'), [byMail, byName])).toBe(byName);
    expect(decide(['email', 'userName'], data('ann', 'Ann@X.test'), [byMail, byName])).toBe(byMail);
    expect(decide(['employeeNumber'], data('ann', 'ann@x.test'), [byMail, byName])).toBeUndefined();
  });

  it('more than one candidate on the deciding rule is a conflict naming them all, never a guess', () => {
    const a = listed('uid=a', data('a', 'ann@x.test'));
    const b = listed('uid=b', data('b', 'ann@x.test'));
    const c = listed('uid=c', data('c', 'ann@x.test'));
    const e = decide(['userName', 'email'], data('ann', 'ann@x.test'), [a, b, c]) as ConnectorError;
    expect(e).toBeInstanceOf(ConnectorError);
    expect(e.code).toBe('conflict');
    expect(e.transient).toBe(false);
    expect(e.message).toContain('by e-mail (ann@x.test): uid=a, uid=b and uid=c.');
    // The same object listed twice is one candidate.
    expect(decide(['email'], data('ann', 'ann@x.test'), [a, { ...a }])).toStrictEqual(a);
  });

  it('a protected object is never the match, whatever the rule', () => {
    const admin = listed('CN=Administrator', data('ann'), 'adminCount=1: a privileged account or group');
    const e = decide(['userName'], data('ann'), [admin]) as ConnectorError;
    expect(e.code).toBe('protected');
    expect(e.message).toMatch(
      /CN=Administrator in Corp AD matches the user ann by user name \(ann\), but it is a protected object/,
    );
  });

  it('groups: by name, two of the same name are a conflict', () => {
    const g = (ref: string, name: string) => ({ ref, name });
    const e = pickGroup({ name: 'Sales', directory: 'Entra' }, [g('1', 'Sales'), g('2', 'sales')], (x) => x.name);
    expect((e as ConnectorError).code).toBe('conflict');
    expect(
      pickGroup({ name: 'Sales', directory: 'Entra' }, [g('1', 'Sales'), g('2', 'Sales EU')], (x) => x.name),
    ).toEqual(g('1', 'Sales'));
  });
});

describe('CandidateIndex (push preview)', () => {
  it('finds candidates by every rule and leaves out objects already linked to another user', () => {
    const idx = new CandidateIndex(['userName', 'employeeNumber']);
    const a = listed('uid=a', data('a', undefined, { employeeNumber: '7' }));
    const b = listed('uid=b', data('b', undefined, { employeeNumber: '7' }));
    idx.add(a);
    idx.add(b);
    expect((idx.pick(sought, data('x', undefined, { employeeNumber: '7' }), new Set()) as ConnectorError).code).toBe(
      'conflict',
    );
    expect(idx.pick(sought, data('x', undefined, { employeeNumber: '7' }), new Set(['uid=a']))).toBe(b);
    expect(idx.pick(sought, data('A'), new Set())).toBe(a);
  });
});

describe('protected Active Directory objects', () => {
  const ad = { isAd: true } as LdapSettings;
  const sid = (authority: number, ...subs: number[]) => {
    const b = Buffer.alloc(8 + 4 * subs.length);
    b[0] = 1;
    b[1] = subs.length;
    b.writeUIntBE(authority, 2, 6);
    subs.forEach((s, i) => b.writeUInt32LE(s, 8 + 4 * i));
    return b;
  };

  it('knows the built-in groups by their well-known SID, whatever they are named', () => {
    expect(parseSid(sid(5, 21, 1, 2, 3, 512))).toEqual({ authority: 5, subs: [21, 1, 2, 3, 512] });
    expect(protectedReason(ad, { dn: 'CN=Renamed', objectSid: sid(5, 21, 1, 2, 3, 512) })).toMatch(/Domain Admins/);
    expect(protectedReason(ad, { dn: 'CN=x', objectSid: sid(5, 21, 1, 2, 3, 519) })).toMatch(/Enterprise Admins/);
    expect(protectedReason(ad, { dn: 'CN=x', objectSid: sid(5, 32, 544) })).toMatch(/Administrators/);
    expect(protectedReason(ad, { dn: 'CN=x', objectSid: sid(5, 32, 548) })).toMatch(/Account Operators/);
    expect(protectedReason(ad, { dn: 'CN=x', objectSid: sid(5, 21, 1, 2, 3, 1105) })).toBeUndefined();
  });

  it('adminCount=1 and isCriticalSystemObject protect too; generic LDAP has no such objects', () => {
    const plain = sid(5, 21, 1, 2, 3, 1200);
    expect(protectedReason(ad, { dn: 'CN=x', objectSid: plain, adminCount: '1' })).toMatch(/adminCount=1/);
    expect(protectedReason(ad, { dn: 'CN=x', objectSid: plain, isCriticalSystemObject: 'TRUE' })).toMatch(/critical/);
    expect(protectedReason(ad, { dn: 'CN=x', objectSid: plain, adminCount: '0' })).toBeUndefined();
    expect(protectedReason({ isAd: false } as LdapSettings, { dn: 'uid=x', adminCount: '1' })).toBeUndefined();
  });
});
