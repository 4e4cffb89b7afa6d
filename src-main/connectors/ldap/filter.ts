// RFC 4515 filter strings → ldapts filter objects, with correct bytes.
//
// ldapts' own parser turns every `\XX` escape into one UTF-16 code unit and
// then encodes the string as UTF-8, so `\c3\a9` (é) or a binary objectGUID
// would reach the server as different bytes. This parser decodes escapes to
// bytes and writes the bytes as they are. Invalid filters throw
// FilterSyntaxError with a sentence naming the problem.
import { AndFilter, Filter, NotFilter, OrFilter, PresenceFilter, SearchFilter, type BerWriter } from 'ldapts';

export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

type AvaKind = 'eq' | 'ge' | 'le' | 'approx';
const avaTag: Record<AvaKind, number> = {
  eq: SearchFilter.equalityMatch,
  ge: SearchFilter.greaterOrEqual,
  le: SearchFilter.lessOrEqual,
  approx: SearchFilter.approxMatch,
};
const avaOp: Record<AvaKind, string> = { eq: '=', ge: '>=', le: '<=', approx: '~=' };

function hexEscape(b: Buffer): string {
  let out = '';
  for (const x of b) {
    const c = String.fromCharCode(x);
    out += x < 0x20 || x > 0x7e || '*()\\'.includes(c) ? `\\${x.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

/** attr=value, attr>=value, attr<=value, attr~=value with a byte value. */
class AvaFilter extends Filter {
  type: (typeof SearchFilter)[keyof typeof SearchFilter];
  readonly attribute: string;
  readonly value: Buffer;
  readonly kind: AvaKind;
  constructor(kind: AvaKind, attribute: string, value: Buffer) {
    super();
    this.kind = kind;
    this.type = avaTag[kind] as (typeof SearchFilter)[keyof typeof SearchFilter];
    this.attribute = attribute;
    this.value = value;
  }
  protected override writeFilter(writer: BerWriter): void {
    writer.writeString(this.attribute);
    writer.writeBuffer(this.value, 0x04);
  }
  toString(): string {
    return `(${this.attribute}${avaOp[this.kind]}${hexEscape(this.value)})`;
  }
}

class BytesSubstringFilter extends Filter {
  type = SearchFilter.substrings;
  readonly attribute: string;
  readonly initial?: Buffer;
  readonly any: Buffer[];
  readonly final?: Buffer;
  constructor(attribute: string, initial: Buffer | undefined, any: Buffer[], final: Buffer | undefined) {
    super();
    this.attribute = attribute;
    this.initial = initial;
    this.any = any;
    this.final = final;
  }
  protected override writeFilter(writer: BerWriter): void {
    writer.writeString(this.attribute);
    writer.startSequence();
    if (this.initial) writer.writeBuffer(this.initial, 0x80);
    for (const a of this.any) writer.writeBuffer(a, 0x81);
    if (this.final) writer.writeBuffer(this.final, 0x82);
    writer.endSequence();
  }
  toString(): string {
    const parts = [
      this.initial ? hexEscape(this.initial) : '',
      ...this.any.map(hexEscape),
      this.final ? hexEscape(this.final) : '',
    ];
    return `(${this.attribute}=${parts.join('*')})`;
  }
}

class BytesExtensibleFilter extends Filter {
  type = SearchFilter.extensibleMatch;
  readonly rule?: string;
  readonly matchType?: string;
  readonly value: Buffer;
  readonly dnAttributes: boolean;
  constructor(opts: { rule?: string; matchType?: string; value: Buffer; dnAttributes: boolean }) {
    super();
    this.rule = opts.rule;
    this.matchType = opts.matchType;
    this.value = opts.value;
    this.dnAttributes = opts.dnAttributes;
  }
  protected override writeFilter(writer: BerWriter): void {
    if (this.rule) writer.writeString(this.rule, 0x81);
    if (this.matchType) writer.writeString(this.matchType, 0x82);
    writer.writeBuffer(this.value, 0x83);
    if (this.dnAttributes) writer.writeBoolean(true, 0x84);
  }
  toString(): string {
    return `(${this.matchType ?? ''}${this.dnAttributes ? ':dn' : ''}${this.rule ? `:${this.rule}` : ''}:=${hexEscape(this.value)})`;
  }
}

/** Decodes an RFC 4515 value (with `\XX` escapes) to its bytes. */
export function decodeFilterValue(raw: string, whole: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new FilterSyntaxError(
          `The filter ${whole} has a backslash not followed by two hex digits (write \\5c for a backslash).`,
        );
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === '(' || c === ')' || c === '\u0000') {
      throw new FilterSyntaxError(
        `The filter ${whole} has an unescaped "${c === '\u0000' ? 'NUL' : c}" inside a value.`,
      );
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

const attrRe = /^[A-Za-z0-9][A-Za-z0-9.;-]*$/;

/** Parses a filter string (RFC 4515) into a filter object ldapts can send. */
export function parseFilter(input: string): Filter {
  const s = input.trim();
  if (!s) throw new FilterSyntaxError('The filter is empty.');
  const text = s.startsWith('(') ? s : `(${s})`;
  let pos = 0;

  const fail = (why: string): never => {
    throw new FilterSyntaxError(`The filter ${input} is not valid: ${why} (at position ${pos}).`);
  };

  const parseOne = (): Filter => {
    if (text[pos] !== '(') fail('expected "("');
    pos++;
    const c = text[pos];
    let f: Filter;
    if (c === '&' || c === '|') {
      pos++;
      const children: Filter[] = [];
      while (text[pos] === '(') children.push(parseOne());
      if (c === '|' && children.length === 0) fail('an OR needs at least one filter');
      f = c === '&' ? new AndFilter({ filters: children }) : new OrFilter({ filters: children });
    } else if (c === '!') {
      pos++;
      f = new NotFilter({ filter: parseOne() });
    } else {
      // item: find the closing parenthesis (values cannot hold an unescaped one)
      const end = text.indexOf(')', pos);
      if (end === -1) fail('unbalanced parentheses');
      const item = text.slice(pos, end);
      f = parseItem(item, input);
      pos = end;
    }
    if (text[pos] !== ')') fail('expected ")"');
    pos++;
    return f;
  };

  const f = parseOne();
  if (pos !== text.length) fail('unexpected text after the filter');
  return f;
}

function parseItem(item: string, whole: string): Filter {
  // extensible: attr:dn:rule:=value, attr:=value, :rule:=value, :dn:rule:=value
  const ext = /^([A-Za-z0-9][A-Za-z0-9.;-]*)?((?::dn)?)(?::([A-Za-z0-9][A-Za-z0-9.-]*))?:=(.*)$/i.exec(item);
  if (ext && item.includes(':=')) {
    const [, type, dn, rule, value] = ext;
    if (!type && !rule)
      throw new FilterSyntaxError(`The filter ${whole} has an extensible match without attribute or rule.`);
    return new BytesExtensibleFilter({
      matchType: type,
      rule,
      dnAttributes: !!dn,
      value: decodeFilterValue(value ?? '', whole),
    });
  }
  const m = /^([^=<>~]+)(=|>=|<=|~=)(.*)$/s.exec(item);
  if (!m) throw new FilterSyntaxError(`The filter ${whole} has an item without an operator: (${item}).`);
  const attr = (m[1] as string).trim();
  const op = m[2] as string;
  const value = m[3] as string;
  if (!attrRe.test(attr)) throw new FilterSyntaxError(`The filter ${whole} has an invalid attribute name "${attr}".`);
  if (op === '=') {
    if (value === '*') return new PresenceFilter({ attribute: attr });
    if (value.includes('*')) {
      const parts = value.split('*');
      const initial = parts.shift() as string;
      const final = parts.pop() as string;
      return new BytesSubstringFilter(
        attr,
        initial ? decodeFilterValue(initial, whole) : undefined,
        parts.filter((p) => p !== '').map((p) => decodeFilterValue(p, whole)),
        final ? decodeFilterValue(final, whole) : undefined,
      );
    }
    return new AvaFilter('eq', attr, decodeFilterValue(value, whole));
  }
  const kind: AvaKind = op === '>=' ? 'ge' : op === '<=' ? 'le' : 'approx';
  return new AvaFilter(kind, attr, decodeFilterValue(value, whole));
}
