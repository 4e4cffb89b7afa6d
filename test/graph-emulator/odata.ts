// OData query options as Microsoft Graph applies them to directory objects: $filter (a practical
// subset), $select, $top, $orderby, $search, plus opaque paging tokens.
import { badRequest, unsupportedQuery } from './errors.ts';
import type { PropSpec } from './model.ts';

type Literal = string | number | boolean | null;

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'cmp'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; prop: string; value: Literal }
  | { kind: 'in'; prop: string; values: Literal[] }
  | { kind: 'fn'; fn: 'startswith' | 'endswith'; prop: string; value: string }
  | { kind: 'any'; prop: string; inner: { op: 'eq' | 'startswith'; value: string } };

interface Token {
  t: 'id' | 'str' | 'num' | 'sym';
  v: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw filterError(src, 'unterminated string literal');
        if (src.charAt(i) === "'") {
          if (src.charAt(i + 1) === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src.charAt(i++);
      }
      out.push({ t: 'str', v: s });
    } else if ('(),:'.includes(c)) {
      out.push({ t: 'sym', v: c });
      i++;
    } else if (/[-0-9]/.test(c) && /^-?\d/.test(src.slice(i))) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_@$]/.test(c)) {
      const m = /^[A-Za-z_@$][A-Za-z0-9_./@$-]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      throw filterError(src, `unexpected character '${c}'`);
    }
  }
  return out;
}

function filterError(src: string, why: string) {
  return badRequest(`Invalid filter clause: ${why} in '${src}'.`);
}

export interface FilterContext {
  props: Record<string, PropSpec>;
  typeName: string;
  advanced: boolean;
}

/** Parses a $filter into a tree; throws the Graph 400 for unsupported or malformed clauses. */
export function parseFilter(src: string, ctx: FilterContext): FilterNode {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => {
    const t = toks[pos++];
    if (!t) throw filterError(src, 'unexpected end of expression');
    return t;
  };
  const expectSym = (s: string) => {
    const t = next();
    if (t.t !== 'sym' || t.v !== s) throw filterError(src, `expected '${s}'`);
  };
  const isWord = (t: Token | undefined, w: string) => t?.t === 'id' && t.v.toLowerCase() === w;
  const needAdvanced = (what: string) => {
    if (!ctx.advanced) {
      throw unsupportedQuery(
        `Operator '${what}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
      );
    }
  };
  const property = (name: string): string => {
    const spec = ctx.props[name];
    if (!spec || spec.writeOnly) {
      throw badRequest(`Invalid filter clause: Could not find a property named '${name}' on type '${ctx.typeName}'.`);
    }
    if (!spec.filter)
      throw unsupportedQuery(
        `Unsupported or invalid query filter clause specified for property '${name}' of resource '${ctx.typeName.replace('microsoft.graph.', '')}'.`,
      );
    return name;
  };
  const literal = (): Literal => {
    const t = next();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'id') {
      const w = t.v.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
      // Unquoted GUIDs and datetimes are accepted by Graph for id / DateTimeOffset properties.
      if (/^[0-9a-f-]{36}$/i.test(t.v) || /^\d{4}-\d{2}-\d{2}T/.test(t.v)) return t.v;
    }
    throw filterError(src, `expected a literal, got '${t.v}'`);
  };
  const stringLiteral = (): string => {
    const v = literal();
    if (typeof v !== 'string') throw filterError(src, 'expected a string literal');
    return v;
  };

  const primary = (): FilterNode => {
    const t = next();
    if (t.t === 'sym' && t.v === '(') {
      const e = orExpr();
      expectSym(')');
      return e;
    }
    if (t.t !== 'id') throw filterError(src, `unexpected '${t.v}'`);
    const word = t.v.toLowerCase();
    if ((word === 'startswith' || word === 'endswith') && peek()?.v === '(') {
      if (word === 'endswith') needAdvanced('endsWith');
      expectSym('(');
      const p = next();
      if (p.t !== 'id') throw filterError(src, 'expected a property name');
      expectSym(',');
      const value = stringLiteral();
      expectSym(')');
      return { kind: 'fn', fn: word, prop: property(p.v), value };
    }
    const anyMatch = /^([A-Za-z]+)\/any$/i.exec(t.v);
    if (anyMatch) {
      const prop = property(anyMatch[1] ?? '');
      if (ctx.props[prop]?.type !== 'string[]') throw filterError(src, `'${prop}' is not a collection`);
      expectSym('(');
      const v = next();
      if (v.t !== 'id') throw filterError(src, 'expected a lambda variable');
      expectSym(':');
      let inner: { op: 'eq' | 'startswith'; value: string };
      if (isWord(peek(), 'startswith')) {
        next();
        expectSym('(');
        if (next().v !== v.v) throw filterError(src, 'expected the lambda variable');
        expectSym(',');
        inner = { op: 'startswith', value: stringLiteral() };
        expectSym(')');
      } else {
        if (next().v !== v.v) throw filterError(src, 'expected the lambda variable');
        if (!isWord(next(), 'eq')) throw filterError(src, "only 'eq' and startswith are supported in any()");
        inner = { op: 'eq', value: stringLiteral() };
      }
      expectSym(')');
      return { kind: 'any', prop, inner };
    }
    const prop = property(t.v);
    const opTok = next();
    const op = opTok.v.toLowerCase();
    if (op === 'in') {
      expectSym('(');
      const values: Literal[] = [literal()];
      while (peek()?.v === ',') {
        next();
        values.push(literal());
      }
      expectSym(')');
      if (values.length > 15)
        throw badRequest(
          "Too many child clauses specified in search filter expression containing 'OR' operators: " +
            values.length +
            '. Max allowed: 15.',
        );
      return { kind: 'in', prop, values };
    }
    if (op === 'eq' || op === 'ne' || op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') {
      if (op === 'ne') needAdvanced('ne');
      const value = literal();
      if (value === null && !ctx.advanced) needAdvanced('eq null');
      return { kind: 'cmp', op, prop, value };
    }
    throw filterError(src, `unsupported operator '${opTok.v}'`);
  };
  const unary = (): FilterNode => {
    if (isWord(peek(), 'not')) {
      next();
      needAdvanced('not');
      return { kind: 'not', operand: unary() };
    }
    return primary();
  };
  const andExpr = (): FilterNode => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const orExpr = (): FilterNode => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const tree = orExpr();
  const extra = toks[pos];
  if (extra) throw filterError(src, `unexpected '${extra.v}'`);
  return tree;
}

function norm(v: unknown): unknown {
  return typeof v === 'string' ? v.toLowerCase() : v;
}

function compare(a: unknown, op: string, b: Literal): boolean {
  const x = norm(a);
  const y = norm(b);
  switch (op) {
    case 'eq':
      return (x ?? null) === y;
    case 'ne':
      return (x ?? null) !== y;
    default: {
      if (x === null || x === undefined || y === null) return false;
      const xs = x as string | number;
      const ys = y as string | number;
      if (op === 'gt') return xs > ys;
      if (op === 'ge') return xs >= ys;
      if (op === 'lt') return xs < ys;
      return xs <= ys;
    }
  }
}

export function evalFilter(node: FilterNode, obj: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'and':
      return evalFilter(node.left, obj) && evalFilter(node.right, obj);
    case 'or':
      return evalFilter(node.left, obj) || evalFilter(node.right, obj);
    case 'not':
      return !evalFilter(node.operand, obj);
    case 'cmp': {
      const v = obj[node.prop];
      if (Array.isArray(v)) return false;
      return compare(v, node.op, node.value);
    }
    case 'in':
      return node.values.some((lit) => compare(obj[node.prop], 'eq', lit));
    case 'fn': {
      const v = obj[node.prop];
      if (typeof v !== 'string') return false;
      return node.fn === 'startswith'
        ? v.toLowerCase().startsWith(node.value.toLowerCase())
        : v.toLowerCase().endsWith(node.value.toLowerCase());
    }
    case 'any': {
      const arr = obj[node.prop];
      if (!Array.isArray(arr)) return false;
      const want = node.inner.value.toLowerCase();
      return arr.some(
        (s) =>
          typeof s === 'string' &&
          (node.inner.op === 'eq' ? s.toLowerCase() === want : s.toLowerCase().startsWith(want)),
      );
    }
  }
}

/** $select: a list of known, readable properties; unknown ones are the Graph 400. */
export function parseSelect(
  raw: string | null,
  props: Record<string, PropSpec>,
  typeName: string,
  extra: string[] = [],
): string[] | undefined {
  if (raw === null) return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (extra.includes(n)) continue;
    const spec = props[n];
    if (!spec) {
      throw badRequest(
        `Parsing OData Select and Expand failed: Could not find a property named '${n}' on type '${typeName}'.`,
      );
    }
  }
  return [...new Set(names)];
}

/** $top: 1..999 on directory collections. */
export function parseTop(raw: string | null, fallback = 100): number {
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw.trim()))
    throw badRequest(`Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`);
  const n = Number(raw);
  if (n < 1 || n > 999) throw badRequest(`Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`);
  return n;
}

export interface OrderBy {
  prop: string;
  desc: boolean;
}

export function parseOrderBy(raw: string | null, props: Record<string, PropSpec>): OrderBy | undefined {
  if (raw === null) return undefined;
  const m = /^\s*([A-Za-z]+)(?:\s+(asc|desc))?\s*$/i.exec(raw);
  if (!m) throw unsupportedQuery('Sorting on multiple properties is not supported.');
  const prop = m[1] ?? '';
  if (!props[prop]?.orderBy) throw unsupportedQuery(`Sorting not supported for '${prop}'.`);
  return { prop, desc: (m[2] ?? '').toLowerCase() === 'desc' };
}

/** $search="prop:term" [AND|OR "prop:term"]: a word-prefix match, as Graph's tokenized search does. */
export function parseSearch(raw: string, props: Record<string, PropSpec>): (obj: Record<string, unknown>) => boolean {
  const clauses: Array<{ op: 'AND' | 'OR'; prop: string; term: string }> = [];
  const re = /\s*(?:(AND|OR)\s+)?"([A-Za-z]+):([^"]*)"/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(raw)) !== null) {
    consumed = re.lastIndex;
    const prop = m[2] ?? '';
    if (props[prop]?.type !== 'string') throw badRequest(`Invalid search property '${prop}'.`);
    clauses.push({ op: (m[1] as 'AND' | 'OR' | undefined) ?? 'AND', prop, term: (m[3] ?? '').toLowerCase() });
  }
  if (clauses.length === 0 || raw.slice(consumed).trim() !== '') {
    throw badRequest(
      `Syntax error: character '${raw.slice(consumed, consumed + 1) || raw}' is not valid at position ${consumed} in '${raw}'.`,
    );
  }
  const one = (c: { prop: string; term: string }, obj: Record<string, unknown>) => {
    const v = obj[c.prop];
    if (typeof v !== 'string') return false;
    return (
      v
        .toLowerCase()
        .split(/[\s@._-]+/)
        .some((word) => word.startsWith(c.term)) || v.toLowerCase().startsWith(c.term)
    );
  };
  return (obj) => {
    let acc = false;
    clauses.forEach((c, i) => {
      acc = i === 0 ? one(c, obj) : c.op === 'AND' ? acc && one(c, obj) : acc || one(c, obj);
    });
    return acc;
  };
}

/** Opaque state tokens ($skiptoken, $deltatoken): base64url JSON behind a fixed prefix. */
export function encodeToken(prefix: string, state: unknown): string {
  return prefix + Buffer.from(JSON.stringify(state)).toString('base64url');
}

export function decodeToken<T>(prefix: string, token: string): T | undefined {
  if (!token.startsWith(prefix)) return undefined;
  try {
    return JSON.parse(Buffer.from(token.slice(prefix.length), 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
