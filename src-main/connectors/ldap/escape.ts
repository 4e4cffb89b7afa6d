// The project's own escaping for everything that reaches an LDAP DN or filter.
//
// - DN attribute values: RFC 4514 §2.4 (escapeDnValue), plus parsing of DNs
//   into RDNs (parseDn), normalisation for comparisons (normalizeDn), and the
//   small helpers the connector needs (parentDn, rdnOf, isWithin).
// - Filter values: RFC 4515 §3 (escapeFilterValue), strings and binary values
//   (Buffers are escaped byte by byte, as objectGUID needs), and the tagged
//   template `ldapFilter` that escapes every interpolated value.
//
// ldapts quotes DN values with leading/trailing spaces the RFC 2253 way and
// its filter parser mangles hex-escaped UTF-8; the connector therefore builds
// DN strings here and turns filter strings into filter objects in filter.ts.

/** One attribute type and value of an RDN (values are unescaped). */
export interface Ava {
  type: string;
  value: string;
  /** The value was written as `#hex` (BER), not as a string that happens to start with `#`. */
  ber?: true;
}
/** A relative distinguished name: one or more AVAs joined by '+'. */
export type Rdn = Ava[];

/**
 * Escapes an attribute value for a DN (RFC 4514 §2.4):
 * `" + , ; < > \` anywhere (and `=`, which is allowed and avoids ambiguity with
 * naive parsers), `#` or space at the start, space at the end, NUL and other
 * control characters as `\XX`. A backslash is written as `\5c` so that no
 * escaped value ends in a bare backslash before a separator (ldapts splits
 * newRdn/newSuperior of modifyDN on the first `,` not preceded by `\`).
 * Non-ASCII characters stay as UTF-8, which RFC 4514 allows.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  const chars = Array.from(value);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const code = c.codePointAt(0) ?? 0;
    if (c === '\\') out += '\\5c';
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`;
    else if ('"+,;<>='.includes(c)) out += `\\${c}`;
    else if (i === 0 && (c === '#' || c === ' ')) out += `\\${c}`;
    else if (i === chars.length - 1 && c === ' ') out += '\\ ';
    else out += c;
  }
  return out;
}

/** Reverses escapeDnValue (and any other RFC 4514 escaping, `\XX` hex pairs forming UTF-8). */
export function unescapeDnValue(escaped: string): string {
  if (!escaped.includes('\\')) return escaped;
  const bytes: number[] = [];
  const push = (s: string) => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  // By code point, not UTF-16 unit: a character outside the BMP (an emoji) is two units,
  // and encoding each half alone would turn it into U+FFFD.
  const charAt = (i: number) => String.fromCodePoint(escaped.codePointAt(i) ?? 0);
  for (let i = 0; i < escaped.length; i++) {
    const c = charAt(i);
    if (c !== '\\') {
      push(c);
      i += c.length - 1;
      continue;
    }
    const next = escaped.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(next)) {
      bytes.push(parseInt(next, 16));
      i += 2;
    } else if (i + 1 < escaped.length) {
      const escapedChar = charAt(i + 1);
      push(escapedChar);
      i += escapedChar.length;
    } else {
      throw new DnSyntaxError(`A DN value ends with a lone backslash: ${escaped}`);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export class DnSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnSyntaxError';
  }
}

/**
 * Parses a DN string (RFC 4514, with the RFC 2253/1779 leniencies servers
 * still send: spaces around separators, quoted values, `#hex` BER values kept
 * as written) into RDNs, first RDN first. Empty string = the root DSE (no RDNs).
 */
export function parseDn(dn: string): Rdn[] {
  const rdns: Rdn[] = [];
  let i = 0;
  const n = dn.length;
  const skipSpaces = () => {
    while (i < n && dn[i] === ' ') i++;
  };
  skipSpaces();
  if (i >= n) return rdns;
  let current: Rdn = [];
  for (;;) {
    skipSpaces();
    // attribute type
    const typeStart = i;
    while (i < n && dn[i] !== '=' && dn[i] !== ',' && dn[i] !== '+') i++;
    const type = dn.slice(typeStart, i).trim();
    if (dn[i] !== '=' || !/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)*)$/.test(type)) {
      throw new DnSyntaxError(`Not a valid DN: "${dn}" (bad attribute type near position ${typeStart}).`);
    }
    i++; // '='
    skipSpaces();
    let value: string;
    let ber = false;
    if (dn[i] === '"') {
      // quoted value (RFC 2253 legacy)
      i++;
      let raw = '';
      while (i < n && dn[i] !== '"') {
        if (dn[i] === '\\' && i + 1 < n) {
          raw += dn.slice(i, i + 2);
          i += 2;
        } else raw += dn[i++];
      }
      if (dn[i] !== '"') throw new DnSyntaxError(`Not a valid DN: "${dn}" (unterminated quote).`);
      i++;
      value = unescapeDnValue(raw);
      skipSpaces();
    } else if (dn[i] === '#') {
      // BER-encoded value: keep the hex form as the value
      const start = i;
      i++;
      while (i < n && /[0-9a-fA-F]/.test(dn[i] as string)) i++;
      value = dn.slice(start, i);
      ber = true;
      skipSpaces();
    } else {
      let raw = '';
      let lastEscapedEnd = 0;
      while (i < n && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') {
        if (dn[i] === '\\') {
          if (i + 1 >= n) throw new DnSyntaxError(`Not a valid DN: "${dn}" (ends with a backslash).`);
          if (/^[0-9a-fA-F]{2}$/.test(dn.slice(i + 1, i + 3))) {
            raw += dn.slice(i, i + 3);
            i += 3;
          } else {
            raw += dn.slice(i, i + 2);
            i += 2;
          }
          lastEscapedEnd = raw.length;
        } else raw += dn[i++];
      }
      // Unescaped trailing spaces before a separator are not part of the value.
      let end = raw.length;
      while (end > lastEscapedEnd && raw[end - 1] === ' ') end--;
      value = unescapeDnValue(raw.slice(0, end));
    }
    current.push(ber ? { type, value, ber: true } : { type, value });
    if (i >= n) {
      rdns.push(current);
      break;
    }
    const sep = dn[i];
    i++;
    if (sep === '+') continue;
    rdns.push(current);
    current = [];
    skipSpaces();
    if (i >= n) throw new DnSyntaxError(`Not a valid DN: "${dn}" (ends with a separator).`);
  }
  return rdns;
}

function formatAva(a: Ava): string {
  // BER hex values (#...) are kept as written; a string value starting with '#' stays escaped,
  // or the server would read it as BER (slapd refuses `cn=#42` as invalid DN syntax).
  if (a.ber) return `${a.type}=${a.value}`;
  return `${a.type}=${escapeDnValue(a.value)}`;
}

/** Builds a DN string from RDNs with this module's escaping. */
export function formatDn(rdns: Rdn[]): string {
  return rdns.map((r) => r.map(formatAva).join('+')).join(',');
}

/**
 * One spelling for a DN the server sent: parsed and re-escaped by this
 * module, attribute types as the server wrote them. Servers spell the same
 * DN differently in different places (slapd writes `\2C` in member values,
 * AD `\,`); the connector hands out canonical DNs so refs compare as strings.
 */
export function canonicalDn(dn: string): string {
  // Fast path: nothing escaped, quoted, multi-valued or spaced around separators.
  if (!/[\\"+;#<>\u0000-\u001f\u007f]|\s,|,\s|=\s|\s=|^\s|\s$/.test(dn)) return dn;
  try {
    const rdns = parseDn(dn);
    const out = formatDn(rdns);
    // Only a spelling that parses back to the very same RDNs replaces the server's own.
    return JSON.stringify(parseDn(out)) === JSON.stringify(rdns) ? out : dn;
  } catch {
    return dn;
  }
}

/** Builds one RDN string, e.g. rdn('cn', 'Smith, John') = 'cn=Smith\\, John'. */
export function rdn(type: string, value: string): string {
  return `${type}=${escapeDnValue(value)}`;
}

/**
 * A comparison key for DNs: types lower-cased, values unescaped, lower-cased
 * (LDAP naming attributes match case-insensitively in practice) and
 * re-escaped; multi-valued RDNs sorted. Not for sending to a server.
 */
export function normalizeDn(dn: string): string {
  try {
    return parseDn(dn)
      .map((r) =>
        r
          .map((a) => `${a.type.toLowerCase()}=${escapeDnValue(a.value.toLowerCase())}`)
          .sort()
          .join('+'),
      )
      .join(',');
  } catch {
    return dn.trim().toLowerCase();
  }
}

export function sameDn(a: string, b: string): boolean {
  return normalizeDn(a) === normalizeDn(b);
}

/** The DN without its first RDN ('' for a single-RDN DN). */
export function parentDn(dn: string): string {
  return formatDn(parseDn(dn).slice(1));
}

/** The first RDN of a DN (undefined for the root DSE). */
export function rdnOf(dn: string): Rdn | undefined {
  return parseDn(dn)[0];
}

/** The value of the first RDN's first AVA, unescaped (e.g. the CN of a user). */
export function rdnValue(dn: string): string | undefined {
  return rdnOf(dn)?.[0]?.value;
}

/** True when `dn` is `base` or lies below it. */
export function isWithin(dn: string, base: string): boolean {
  if (!base.trim()) return true;
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d === b || d.endsWith(`,${b}`);
}

// ---------------------------------------------------------------------------
// Filters (RFC 4515)

/**
 * Escapes an assertion value for a filter: `*` `(` `)` `\` NUL as `\2a \28
 * \29 \5c \00` (and other ASCII control characters as `\XX`). Buffers are
 * binary values (objectGUID, SIDs): every byte is written as `\XX`.
 * Non-ASCII characters stay as UTF-8, which RFC 4515 allows.
 */
export function escapeFilterValue(value: string | Buffer): string {
  if (Buffer.isBuffer(value)) {
    let out = '';
    for (const b of value) out += `\\${b.toString(16).padStart(2, '0')}`;
    return out;
  }
  let out = '';
  for (const c of value) {
    const code = c.codePointAt(0) ?? 0;
    if (c === '*') out += '\\2a';
    else if (c === '(') out += '\\28';
    else if (c === ')') out += '\\29';
    else if (c === '\\') out += '\\5c';
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out;
}

/**
 * Tagged template that escapes every interpolated value as a filter value:
 * ldapFilter`(&(objectClass=user)(sAMAccountName=${name}))`.
 */
export function ldapFilter(strings: TemplateStringsArray, ...values: Array<string | Buffer | number>): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += escapeFilterValue(typeof v === 'number' ? String(v) : v) + (strings[i + 1] ?? '');
  });
  return out;
}

/** Wraps a filter in parentheses when an admin typed it without them. */
export function wrapFilter(filter: string): string {
  const f = filter.trim();
  if (!f) return '';
  return f.startsWith('(') ? f : `(${f})`;
}

/** (&a b ...) of the non-empty filters; one filter stays as it is. */
export function andFilters(...filters: Array<string | undefined>): string {
  const parts = filters.map((f) => wrapFilter(f ?? '')).filter(Boolean);
  if (parts.length === 0) return '(objectClass=*)';
  if (parts.length === 1) return parts[0] as string;
  return `(&${parts.join('')})`;
}
