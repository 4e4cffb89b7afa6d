/**
 * Generates an LDIF file of varied, realistic users and groups for seeding
 * the test directories (slapd through `slapadd`, Samba through `ldbadd` or
 * `ldapadd`). Streams to the file: 100,000 users take a couple of seconds.
 *
 * What is in it, deterministically (same options, same file):
 * - users with given name, surname, display name, uid / sAMAccountName,
 *   mail, telephone numbers, title, department, employee number; some
 *   non-ASCII names ("Zoë Ångström", "Łukasz Żółć", "José Núñez", CJK),
 *   some with multi-valued mail / telephoneNumber;
 * - DN-special characters in some common names (comma, plus, double quote,
 *   semicolon, a leading '#'), escaped in the DN per RFC 4514;
 * - groups (groupOfNames, or AD `group`) with the requested member counts.
 *
 * The containers (ou=People, ou=Groups) are NOT written unless
 * `containers: true`: startSlapd() creates them itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

export interface UsersLdifOptions {
  /** Naming context, e.g. `dc=example,dc=test` or `DC=ad,DC=example,DC=test`. */
  baseDn: string;
  /** Number of users. */
  count: number;
  /** One entry per group: its member count (clamped to `count`; LDAP
   *  groupOfNames needs at least one member, so 0 becomes 1 unless `ad`). */
  groups?: number[];
  /** Active Directory shape (objectClass user/group, sAMAccountName,
   *  userPrincipalName, single-valued mail/telephoneNumber, CN=/OU= names). */
  ad?: boolean;
  /** Where users go; default `ou=People,<baseDn>` (`OU=People,…` for AD). */
  peopleDn?: string;
  /** Where groups go; default `ou=Groups,<baseDn>` (`OU=Groups,…` for AD). */
  groupsDn?: string;
  /** Also write the two container entries first (default false). */
  containers?: boolean;
  /** LDAP only: give every user this password (stored as one {SSHA} hash). */
  password?: string;
  /** LDAP only: write memberOf on users, since slapadd does not run the
   *  memberof overlay. Needs a server with memberOf defined (startSlapd has it). */
  memberOf?: boolean;
  /** Seed of the pseudo-random choices (default 1). */
  seed?: number;
  /** Mail / UPN domain; default derived from the dc= parts of baseDn. */
  mailDomain?: string;
}

export interface SampleUser {
  dn: string;
  /** uid (LDAP) or sAMAccountName (AD). */
  login: string;
  cn: string;
  givenName: string;
  sn: string;
  mail: string[];
  employeeNumber: string;
}

export interface UsersLdifResult {
  path: string;
  userCount: number;
  /** DNs of the groups, in the order of `groups`. */
  groupDns: string[];
  /** Actual member counts, in the same order. */
  groupMemberCounts: number[];
  /** A spread of user DNs: the first, the last, every special-character
   *  and non-ASCII kind, evenly spaced others (at most ~40). */
  sampleUserDns: string[];
  sampleUsers: SampleUser[];
  /** Bytes written. */
  bytes: number;
}

// ---------------------------------------------------------------------------
// Escaping

/** RFC 4514 §2.4 escaping of an attribute value in a DN. */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\u0000') out += '\\00';
    else if ('"+,;<>\\'.includes(c)) out += `\\${c}`;
    else if ((c === '#' || c === ' ') && i === 0) out += `\\${c}`;
    else if (c === ' ' && i === value.length - 1) out += '\\ ';
    else out += c;
  }
  return out;
}

/** The unescaped value of a DN's first RDN (`OU=Smoke\\, People,DC=x` → `Smoke, People`). */
function firstRdnValue(dn: string): string {
  const m = /^[^=]+=((?:\\.|[^,\\])*)/.exec(dn);
  const raw = m?.[1] ?? dn;
  return raw.replace(/\\([0-9a-fA-F]{2}|.)/g, (_m, c: string) =>
    c.length === 2 ? String.fromCharCode(parseInt(c, 16)) : c,
  );
}

/** `attr: value`, or `attr:: base64` when the value is not an LDIF SAFE-STRING. */
function line(attr: string, value: string): string {
  // SAFE-STRING: ASCII without NUL/LF/CR, not starting with space, ':' or '<'; we also avoid a trailing space.
  if (/^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ')) return `${attr}: ${value}\n`;
  if (value === '') return `${attr}:\n`;
  return `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}\n`;
}

// ---------------------------------------------------------------------------
// Name pools

const GIVEN = [
  'James',
  'Mary',
  'Robert',
  'Patricia',
  'John',
  'Jennifer',
  'Michael',
  'Linda',
  'David',
  'Elizabeth',
  'William',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Charles',
  'Karen',
  'Christopher',
  'Lisa',
  'Daniel',
  'Nancy',
  'Matthew',
  'Betty',
  'Anthony',
  'Sandra',
  'Mark',
  'Ashley',
  'Emma',
  'Liam',
  'Olivia',
  'Noah',
  'Ava',
  'Lucas',
  'Mia',
  'Hugo',
  'Léa',
  'Louis',
  'Zoë',
  'Łukasz',
  'José',
  'François',
  'Søren',
  'Ümit',
  'Björk',
  'Chloé',
  'Jürgen',
  'Małgorzata',
  'Ingrid',
  'Aoife',
  'Siobhán',
  'Raphaël',
  'Dağhan',
  'Ana',
  'João',
  'Mónica',
  'Nuño',
  'Ólafur',
  'Priya',
  'Wei',
  'Hiroshi',
  'Yuki',
  'Fatima',
  'Omar',
  'Chidi',
  'Amara',
  'Mateo',
  'Valentina',
];
const SURNAME = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  "O'Brien",
  'McAllister',
  'van der Berg',
  'de la Cruz',
  'Smith-Jones',
  'Müller',
  'Schröder',
  'Dubois',
  'Lefèvre',
  'Rossi',
  'Ångström',
  'Żółć',
  'Núñez',
  'Kierkegård',
  'Öztürk',
  'Guðmundsdóttir',
  'Dvořák',
  'Nguyễn',
  'Øvergaard',
  'Strauß',
  'Kowalski',
  'Nowak',
  'Wiśniewski',
  'Horváth',
  'Papadopoulos',
  'Ivanova',
  'Yılmaz',
  'Fernández',
  'Gonçalves',
  'Ó Súilleabháin',
  'Patel',
  'Chen',
  'Tanaka',
  'Suzuki',
  'Haddad',
  'Okafor',
  'Mensah',
  'Silva',
  'Costa',
  'Kaur',
];
/** Names placed at fixed positions so small seeds contain them too. */
const FEATURED: Array<[string, string]> = [
  ['Zoë', 'Ångström'],
  ['Łukasz', 'Żółć'],
  ['José', 'Núñez'],
  ['太郎', '山田'],
  ['Søren', 'Kierkegård'],
  ['Ümit', 'Öztürk'],
  ['Björk', 'Guðmundsdóttir'],
  ['Antonín', 'Dvořák'],
];
const TITLES = [
  'Software Engineer',
  'Senior Software Engineer',
  'Engineering Manager',
  'Product Manager',
  'Sales Representative',
  'Account Executive',
  'HR Business Partner',
  'Recruiter',
  'Financial Analyst',
  'Controller',
  'Support Engineer',
  'Customer Success Manager',
  'Marketing Specialist',
  'Designer',
  'Data Scientist',
  'IT Administrator',
  'Legal Counsel',
  'Office Manager',
  'Chief Technology Officer',
  'Intern',
];
const DEPARTMENTS = [
  'Engineering',
  'Sales',
  'Human Resources',
  'Finance',
  'Support',
  'Marketing',
  'Design',
  'IT',
  'Legal',
  'Operations',
  'Research & Development',
];
const CITIES = [
  'Berlin',
  'München',
  'Paris',
  'Kraków',
  'São Paulo',
  'Reykjavík',
  'Zürich',
  'London',
  'New York',
  'Tōkyō',
];
const GROUP_NAMES = [
  'All Staff',
  'Sales, EMEA',
  'Engineering',
  'R&D "Core" Team',
  'Finance+Legal',
  'Support Tier 2',
  'Marketing',
  'VPN Users',
  'Wi-Fi Guests',
  'Project Ørsted',
];

function pick<T>(items: readonly T[], index: number): T {
  return items[index % items.length] as T;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FOLD: Record<string, string> = {
  ł: 'l',
  Ł: 'L',
  ø: 'o',
  Ø: 'O',
  ß: 'ss',
  đ: 'd',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  æ: 'ae',
  Æ: 'AE',
  ı: 'i',
  œ: 'oe',
};
const foldCache = new Map<string, string>();
/** ASCII, lower-case, letters and digits only ('' for scripts without a Latin folding). */
function fold(s: string): string {
  let r = foldCache.get(s);
  if (r === undefined) {
    r = s
      .replace(/[łŁøØßđðÐþæÆıœ]/g, (c) => FOLD[c] ?? c)
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    foldCache.set(s, r);
  }
  return r;
}

function domainOf(baseDn: string): string {
  const parts = baseDn
    .split(',')
    .map((p) => p.trim())
    .filter((p) => /^dc=/i.test(p))
    .map((p) => p.slice(3));
  return parts.length > 0 ? parts.join('.').toLowerCase() : 'example.test';
}

function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

// ---------------------------------------------------------------------------

export async function writeUsersLdif(path: string, opts: UsersLdifOptions): Promise<UsersLdifResult> {
  const { baseDn, count } = opts;
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
  const ad = opts.ad === true;
  const peopleDn = opts.peopleDn ?? `${ad ? 'OU' : 'ou'}=People,${baseDn}`;
  const groupsDn = opts.groupsDn ?? `${ad ? 'OU' : 'ou'}=Groups,${baseDn}`;
  const domain = opts.mailDomain ?? domainOf(baseDn);
  const rand = mulberry32(opts.seed ?? 1);
  const passwordHash = !ad && opts.password ? ssha(opts.password) : undefined;

  // Groups: deterministic member windows [start, start + n) modulo count.
  const groupSpecs = (opts.groups ?? []).map((requested, k) => {
    let n = Math.max(0, Math.min(Math.floor(requested), count));
    if (!ad && n === 0 && count > 0) n = 1;
    const base = pick(GROUP_NAMES, k);
    const cn = k < GROUP_NAMES.length ? base : `${base} ${Math.floor(k / GROUP_NAMES.length) + 1}`;
    const start = count > 0 ? (k * 7919) % count : 0;
    const dn = `${ad ? 'CN' : 'cn'}=${escapeDnValue(cn)},${groupsDn}`;
    return { cn, dn, n, start };
  });
  if (!ad && count === 0 && groupSpecs.length > 0)
    throw new Error('LDAP groupOfNames needs at least one user to be a member');

  const fh = await open(path, 'w');
  let buf = '';
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (buf.length === 0) return;
    const chunk = Buffer.from(buf, 'utf8');
    buf = '';
    bytes += chunk.length;
    await fh.write(chunk);
  };

  const userDns: string[] = new Array<string>(count);
  const usedCn = new Map<string, number>();
  const usedLogin = new Map<string, number>();
  const sampleUsers: SampleUser[] = [];
  const sampleKinds = new Set<string>();
  const sampleEvery = Math.max(1, Math.floor(count / 20));

  try {
    if (opts.containers) {
      const containers: Array<[string, string]> = [
        [peopleDn, firstRdnValue(peopleDn)],
        [groupsDn, firstRdnValue(groupsDn)],
      ];
      for (const [dn, ou] of containers) {
        buf += line('dn', dn) + 'objectClass: top\nobjectClass: organizationalUnit\n' + line('ou', ou) + '\n';
      }
    }

    for (let i = 0; i < count; i++) {
      let givenName: string;
      let sn: string;
      const featured = i >= 1 && i <= FEATURED.length * 5 && i % 5 === 0 ? FEATURED[i / 5 - 1] : undefined;
      if (featured) [givenName, sn] = featured;
      else {
        givenName = pick(GIVEN, Math.floor(rand() * GIVEN.length));
        sn = pick(SURNAME, Math.floor(rand() * SURNAME.length));
      }
      const isCjk = /[\u3040-\u30ff\u4e00-\u9fff]/.test(sn);
      let displayName = isCjk ? `${sn} ${givenName}` : `${givenName} ${sn}`;
      let kind = featured ? 'featured' : /[^\x20-\x7e]/.test(displayName) ? 'non-ascii' : 'plain';
      // DN-special characters in the common name, at fixed rhythms.
      let cnBase = displayName;
      const r = i % 97;
      if (r === 3) {
        cnBase = `${sn}, ${givenName}`;
        kind = 'comma';
      } else if (r === 7) {
        givenName = `${givenName}+Marie`;
        displayName = `${givenName} ${sn}`;
        cnBase = displayName;
        kind = 'plus';
      } else if (r === 11) {
        cnBase = `${givenName} "${givenName.slice(0, 3)}" ${sn}`;
        kind = 'quote';
      } else if (r === 13 && i % 2 === 1) {
        cnBase = `${sn}; ${givenName} <ext>`;
        kind = 'semicolon';
      } else if (i % 1009 === 17) {
        cnBase = `#${givenName} ${sn}`;
        kind = 'hash';
      }
      const seen = usedCn.get(cnBase.toLowerCase()) ?? 0;
      usedCn.set(cnBase.toLowerCase(), seen + 1);
      const cn = seen === 0 ? cnBase : `${cnBase} ${seen + 1}`;
      const dn = `${ad ? 'CN' : 'cn'}=${escapeDnValue(cn)},${peopleDn}`;
      userDns[i] = dn;

      const g = fold(givenName.replace(/\+.*/, '')) || 'user';
      const s = fold(sn) || `u${i}`;
      const loginBase = ad ? `${g[0]}${s}`.slice(0, 13) : `${g}.${s}`;
      const lk = usedLogin.get(loginBase) ?? 0;
      usedLogin.set(loginBase, lk + 1);
      // AD: sAMAccountName at most 20 characters; the index keeps it unique.
      const login = ad ? `${loginBase}${i}` : lk === 0 ? loginBase : `${loginBase}${lk + 1}`;
      const primaryMail = `${login}@${domain}`;
      const mails = [primaryMail];
      if (!ad && i % 5 === 2) mails.push(`${g}.${s}.${i}@mail.${domain}`);
      const phone = `+1 555 01${String(i % 100).padStart(2, '0')} ${String(1000 + (i % 9000))}`;
      const mobile = `+44 7700 ${String(900000 + (i % 99999)).slice(-6)}`;
      const title = pick(TITLES, Math.floor(rand() * TITLES.length));
      const dept = pick(DEPARTMENTS, Math.floor(rand() * DEPARTMENTS.length));
      const city = pick(CITIES, i);
      const employeeNumber = String(100000 + i);

      let e = line('dn', dn);
      if (ad) {
        e += 'objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\n';
        e +=
          line('cn', cn) +
          line('sn', sn) +
          line('givenName', givenName.replace(/\+.*/, '')) +
          line('displayName', displayName);
        e += line('sAMAccountName', login) + line('userPrincipalName', `${login}@${domain}`);
        e += line('mail', primaryMail) + line('telephoneNumber', phone);
        if (i % 7 === 4)
          e +=
            line('otherTelephone', `+1 555 0199 ${String(i % 10000).padStart(4, '0')}`) +
            line('otherTelephone', '+1 555 0100 0000');
        e += line('mobile', mobile) + line('title', title) + line('department', dept) + line('company', 'Example Corp');
        e += line('l', city) + line('employeeNumber', employeeNumber) + line('employeeID', `E${employeeNumber}`);
        e += line('description', `Seeded test user #${i}`);
      } else {
        e += 'objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: inetOrgPerson\n';
        e += line('cn', cn);
        if (cn !== displayName && kind !== 'plain') e += line('cn', displayName);
        e += line('sn', sn) + line('givenName', givenName) + line('displayName', displayName) + line('uid', login);
        for (const m of mails) e += line('mail', m);
        e += line('telephoneNumber', phone);
        if (i % 7 === 4) e += line('telephoneNumber', `+1 555 0199 ${String(i % 10000).padStart(4, '0')}`);
        if (i % 3 === 0) e += line('mobile', mobile);
        e +=
          line('title', title) +
          line('ou', dept) +
          line('departmentNumber', `D-${String(DEPARTMENTS.indexOf(dept) + 10)}`);
        e += line('l', city) + line('employeeNumber', employeeNumber);
        e += line('employeeType', i % 10 === 9 ? 'Contractor' : 'Employee');
        if (i % 4 === 1) e += line('preferredLanguage', pick(['en', 'de', 'fr', 'pl'], i));
        if (passwordHash) e += line('userPassword', passwordHash);
        if (opts.memberOf) {
          for (const gs of groupSpecs) {
            if ((i - gs.start + count) % count < gs.n) e += line('memberOf', gs.dn);
          }
        }
      }
      buf += `${e}\n`;

      const isSample =
        i === 0 || i === count - 1 || i % sampleEvery === 0 || (kind !== 'plain' && !sampleKinds.has(kind));
      if (isSample && sampleUsers.length < 40) {
        sampleKinds.add(kind);
        sampleUsers.push({ dn, login, cn, givenName, sn, mail: mails, employeeNumber });
      }
      if (buf.length > 1 << 20) await flush();
    }

    for (const gs of groupSpecs) {
      let e = line('dn', gs.dn);
      if (ad) {
        e += 'objectClass: top\nobjectClass: group\n' + line('cn', gs.cn);
        e += line('sAMAccountName', fold(gs.cn).slice(0, 16) + groupSpecs.indexOf(gs));
      } else {
        e += 'objectClass: top\nobjectClass: groupOfNames\n' + line('cn', gs.cn);
      }
      e += line('description', `Seeded test group with ${gs.n} members`);
      buf += e;
      for (let j = 0; j < gs.n; j++) {
        buf += line('member', userDns[(gs.start + j) % count] as string);
        if (buf.length > 1 << 20) await flush();
      }
      buf += '\n';
    }
    await flush();
  } finally {
    await fh.close();
  }

  // Keep a readable order: first user, then the varied ones, then the rest.
  return {
    path,
    userCount: count,
    groupDns: groupSpecs.map((g) => g.dn),
    groupMemberCounts: groupSpecs.map((g) => g.n),
    sampleUserDns: sampleUsers.map((u) => u.dn),
    sampleUsers,
    bytes,
  };
}
