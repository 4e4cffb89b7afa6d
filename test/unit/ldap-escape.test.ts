import { describe, expect, it } from 'vitest';
import { BerReader } from 'ldapts';
import {
  andFilters,
  escapeDnValue,
  escapeFilterValue,
  formatDn,
  isWithin,
  ldapFilter,
  normalizeDn,
  parentDn,
  parseDn,
  rdnValue,
  sameDn,
  unescapeDnValue,
} from '../../src-main/connectors/ldap/escape.ts';
import { FilterSyntaxError, parseFilter } from '../../src-main/connectors/ldap/filter.ts';
import { BerWriter } from 'ldapts';

describe('RFC 4514 DN value escaping', () => {
  it('escapes the specials anywhere, # and space at the start, space at the end, NUL', () => {
    expect(escapeDnValue('Smith, John')).toBe('Smith\\, John');
    expect(escapeDnValue('a+b"c;d<e>f=g')).toBe('a\\+b\\"c\\;d\\<e\\>f\\=g');
    expect(escapeDnValue('back\\slash')).toBe('back\\5cslash');
    expect(escapeDnValue('#hash')).toBe('\\#hash');
    expect(escapeDnValue('mid#hash')).toBe('mid#hash');
    expect(escapeDnValue(' lead and trail ')).toBe('\\ lead and trail\\ ');
    expect(escapeDnValue('nul\u0000x')).toBe('nul\\00x');
    expect(escapeDnValue('Zoë Ångström 山田')).toBe('Zoë Ångström 山田');
  });

  it('round-trips hostile values through escape → DN → parse', () => {
    const hostile = [
      'Smith, John',
      ' leading',
      'trailing ',
      '  both  ',
      '#1 fan',
      'a+b',
      'quote "x"',
      'back\\slash\\',
      'semi;colon<angle>',
      'eq=ual',
      'Łukasz Żółć',
      'nul\u0000byte',
      ',+"\\<>;=#',
    ];
    for (const v of hostile) {
      const dn = `cn=${escapeDnValue(v)},ou=People,dc=example,dc=test`;
      const rdns = parseDn(dn);
      expect(rdns).toHaveLength(4);
      expect(rdns[0]?.[0]).toEqual({ type: 'cn', value: v });
      expect(rdnValue(dn)).toBe(v);
      expect(parentDn(dn)).toBe('ou=People,dc=example,dc=test');
      expect(unescapeDnValue(escapeDnValue(v))).toBe(v);
    }
  });

  it('parses what servers send: spaces after commas, hex escapes, multi-valued RDNs, quoted values', () => {
    expect(parseDn('CN=Smith\\2C John, OU=People,DC=x')).toEqual([
      [{ type: 'CN', value: 'Smith, John' }],
      [{ type: 'OU', value: 'People' }],
      [{ type: 'DC', value: 'x' }],
    ]);
    expect(parseDn('cn=Zo\\C3\\AB,dc=x')[0]?.[0]?.value).toBe('Zoë');
    expect(parseDn('cn=a+uid=b,dc=x')[0]).toEqual([
      { type: 'cn', value: 'a' },
      { type: 'uid', value: 'b' },
    ]);
    expect(parseDn('cn="Smith, John",dc=x')[0]?.[0]?.value).toBe('Smith, John');
    expect(parseDn('')).toEqual([]);
    expect(() => parseDn('no equals sign')).toThrow(/Not a valid DN/);
    expect(() => parseDn('cn=x,')).toThrow(/separator/);
  });

  it('compares DNs independently of case and escaping style', () => {
    expect(sameDn('CN=Smith\\, John,OU=People,DC=X', 'cn=smith\\2c john, ou=people, dc=x')).toBe(true);
    expect(normalizeDn('cn=A+uid=B,dc=x')).toBe(normalizeDn('uid=b+cn=a,dc=x'));
    expect(isWithin('cn=a,ou=People,dc=x', 'OU=people,DC=X')).toBe(true);
    expect(isWithin('cn=a,ou=Peoples,dc=x', 'ou=People,dc=x')).toBe(false);
    expect(formatDn(parseDn('cn=\\#x\\ ,dc=y'))).toBe('cn=\\#x\\ ,dc=y');
  });
});

describe('RFC 4515 filter value escaping', () => {
  it('escapes * ( ) \\ NUL and keeps UTF-8', () => {
    expect(escapeFilterValue('a*b(c)d\\e\u0000f')).toBe('a\\2ab\\28c\\29d\\5ce\\00f');
    expect(escapeFilterValue('Zoë')).toBe('Zoë');
    expect(ldapFilter`(&(uid=${'*)(uid=*'})(cn=${'x'}))`).toBe('(&(uid=\\2a\\29\\28uid=\\2a)(cn=x))');
  });

  it('escapes binary values byte by byte', () => {
    expect(escapeFilterValue(Buffer.from([0x00, 0x2a, 0xff, 0x10]))).toBe('\\00\\2a\\ff\\10');
  });

  it('combines filters', () => {
    expect(andFilters('(a=1)', '', 'b=2')).toBe('(&(a=1)(b=2))');
    expect(andFilters('(a=1)')).toBe('(a=1)');
    expect(andFilters()).toBe('(objectClass=*)');
  });
});

/** Encodes a filter object to BER and returns the assertion value bytes of an equality filter. */
function eqValueBytes(filter: string): Buffer {
  const f = parseFilter(filter);
  const w = new BerWriter();
  f.write(w);
  const r = new BerReader(w.buffer);
  expect(r.readSequence()).toBe(0xa3);
  r.readString();
  return r.readString(0x04, true) as Buffer;
}

describe('filter parsing to wire bytes', () => {
  it('sends hex-escaped UTF-8 and binary values as the exact bytes', () => {
    expect(eqValueBytes('(cn=Zo\\c3\\ab)')).toEqual(Buffer.from('Zoë', 'utf8'));
    expect(eqValueBytes('(cn=Zoë)')).toEqual(Buffer.from('Zoë', 'utf8'));
    const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    expect(eqValueBytes(`(objectGUID=${escapeFilterValue(guid)})`)).toEqual(guid);
    expect(eqValueBytes(ldapFilter`(cn=${'a*(b)\\\u0000'})`)).toEqual(Buffer.from('a*(b)\\\u0000', 'utf8'));
  });

  it('parses and/or/not, presence, substrings, ordering and extensible matches', () => {
    expect(parseFilter('(&(objectClass=user)(!(objectClass=computer)))').toString()).toContain('objectClass');
    expect(parseFilter('(|(a=1)(b=*))')).toBeTruthy();
    expect(parseFilter('(cn=Jo*n*son)').toString()).toBe('(cn=Jo*n*son)');
    expect(parseFilter('(uSNChanged>=123)').toString()).toBe('(uSNChanged>=123)');
    expect(parseFilter('(userAccountControl:1.2.840.113556.1.4.803:=2)').toString()).toBe(
      '(userAccountControl:1.2.840.113556.1.4.803:=2)',
    );
    expect(parseFilter('objectClass=person').toString()).toBe('(objectClass=person)');
  });

  it('refuses invalid filters with a sentence', () => {
    for (const bad of ['(cn=a', '(cn=a))', '(&(cn=a)', '(cn=a\\zz)', '(=x)', '', '(cn=a(b)']) {
      expect(() => parseFilter(bad), bad).toThrow(FilterSyntaxError);
    }
  });
});
