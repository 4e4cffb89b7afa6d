// Proves the Graph emulator against the real client libraries: MSAL 7 (secret and certificate),
// Graph paging, $batch with a throttled sub-request, delta, the write limiter and error shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { Agent, fetch as undiciFetch } from 'undici';
import { startGraphEmulator } from '../graph-emulator/index.ts';
import type { GraphEmulator, GraphGroup, GraphUser } from '../graph-emulator/index.ts';
import { signJwt } from '../graph-emulator/jwt.ts';

const run = promisify(execFile);
const GRAPH_SCOPE = ['https://graph.microsoft.com/.default'];
const ALL_ROLES = [
  'User.ReadWrite.All',
  'Group.ReadWrite.All',
  'GroupMember.ReadWrite.All',
  'Mail.Send',
  'Organization.Read.All',
];

/** MSAL network client over an undici Agent that trusts one extra CA: the emulator's certificate. */
function trustingNetworkClient(caPem: string): INetworkModule & { agent: Agent } {
  const agent = new Agent({ connect: { ca: caPem } });
  const send = async <T>(
    url: string,
    method: 'GET' | 'POST',
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> => {
    const res = await undiciFetch(url, {
      method,
      headers: options?.headers,
      body: method === 'POST' ? (options?.body ?? '') : undefined,
      dispatcher: agent,
      signal: timeout ? AbortSignal.timeout(timeout) : undefined,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { headers, body: (await res.json()) as T, status: res.status };
  };
  return {
    agent,
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) =>
      send<T>(url, 'GET', options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>(url, 'POST', options),
  };
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function makeClientCertificate(
  dir: string,
  name: string,
  days = 2,
): Promise<{ keyPem: string; certPem: string; sha256: string; sha1: string }> {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}-cert.pem`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    String(days),
    '-subj',
    `/CN=${name}`,
  ]);
  const certPem = await readFile(cert, 'utf8');
  const x = new X509Certificate(certPem);
  return {
    keyPem: await readFile(key, 'utf8'), // openssl 3 writes PKCS#8 ("BEGIN PRIVATE KEY")
    certPem,
    sha256: x.fingerprint256.replace(/:/g, ''),
    sha1: x.fingerprint.replace(/:/g, ''),
  };
}

/** A certificate that expired in 2020 (openssl ca with explicit dates). */
async function makeExpiredCertificate(dir: string): Promise<{ keyPem: string; certPem: string; sha256: string }> {
  const d = await mkdtemp(join(dir, 'expired-'));
  await run(
    'openssl',
    ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', '/CN=expired'],
    { cwd: d },
  );
  await writeFile(join(d, 'index.txt'), '');
  await writeFile(join(d, 'serial'), '1000\n');
  await writeFile(
    join(d, 'ca.cnf'),
    '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n',
  );
  await run(
    'openssl',
    [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-selfsign',
      '-keyfile',
      'k.pem',
      '-in',
      'r.csr',
      '-out',
      'c.pem',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
      '-notext',
    ],
    { cwd: d },
  );
  const certPem = await readFile(join(d, 'c.pem'), 'utf8');
  return {
    keyPem: await readFile(join(d, 'k.pem'), 'utf8'),
    certPem,
    sha256: new X509Certificate(certPem).fingerprint256.replace(/:/g, ''),
  };
}

describe('graph emulator', () => {
  let emu: GraphEmulator;
  let net: ReturnType<typeof trustingNetworkClient>;
  let tmp: string;
  let token: string;

  const msal = (auth: Record<string, unknown>) =>
    new ConfidentialClientApplication({
      auth: {
        clientId: 'x',
        authority: emu.authority,
        knownAuthorities: [emu.authorityHost],
        authorityMetadata: emu.authorityMetadata,
        ...auth,
      },
      system: { networkClient: net },
    });

  const graph = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await emu.fetch(path.startsWith('https://') ? path : `${emu.baseUrl}/v1.0${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
  };

  beforeAll(async () => {
    emu = await startGraphEmulator();
    net = trustingNetworkClient(emu.caCertPem);
    tmp = await mkdtemp(join(tmpdir(), 'ge-test-'));
    emu.addApp({ clientId: 'provisioner', secret: 'correct-horse', roles: ALL_ROLES });
    token = emu.issueToken('provisioner');
  });

  afterAll(async () => {
    await emu?.stop();
    await net?.agent.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('token endpoint with MSAL 7', () => {
    it('acquires a token with a client secret, then serves the second call from its cache', async () => {
      const before = emu.log.filter((e) => e.kind === 'token').length;
      const app = msal({ clientId: 'provisioner', clientSecret: 'correct-horse' });
      const r1 = await app.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE });
      expect(r1?.accessToken).toBeTruthy();
      const c = claims(r1!.accessToken);
      expect(c.roles).toEqual(ALL_ROLES);
      expect(c.tid).toBe(emu.tenantId);
      expect(c.appid).toBe('provisioner');
      const r2 = await app.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE });
      expect(r2?.accessToken).toBe(r1!.accessToken);
      const tokenCalls = emu.log.filter((e) => e.kind === 'token').slice(before);
      expect(tokenCalls).toHaveLength(1);
      expect(tokenCalls[0]?.path).toBe(`/${emu.tenantId}/oauth2/v2.0/token`);
      // and the token works against Graph
      const org = await emu.fetch(`${emu.baseUrl}/v1.0/organization`, {
        headers: { authorization: `Bearer ${r1!.accessToken}` },
      });
      expect(org.status).toBe(200);
      const body = (await org.json()) as any;
      expect(body.value[0].id).toBe(emu.tenantId);
      expect(body.value[0].verifiedDomains.map((d: any) => d.name)).toContain('contoso.test');
    });

    it('acquires a token with a certificate: PS256 + x5t#S256 and RS256 + x5t', async () => {
      const cert = await makeClientCertificate(tmp, 'cert-app');
      emu.addApp({ clientId: 'cert-app', certificatePem: cert.certPem, roles: ['User.Read.All'] });
      const ps = await msal({
        clientId: 'cert-app',
        clientCertificate: { thumbprintSha256: cert.sha256, privateKey: cert.keyPem },
      }).acquireTokenByClientCredential({ scopes: GRAPH_SCOPE });
      expect(claims(ps!.accessToken)).toMatchObject({ appid: 'cert-app', appidacr: '2', roles: ['User.Read.All'] });
      const rs = await msal({
        clientId: 'cert-app',
        clientCertificate: { thumbprint: cert.sha1, privateKey: cert.keyPem },
      }).acquireTokenByClientCredential({ scopes: GRAPH_SCOPE });
      expect(claims(rs!.accessToken).appid).toBe('cert-app');
    });

    it('rejects a certificate that is not registered, and a wrong private key', async () => {
      const registered = await makeClientCertificate(tmp, 'reg');
      const other = await makeClientCertificate(tmp, 'other');
      emu.addApp({ clientId: 'cert-app-2', certificatePem: registered.certPem, roles: [] });
      await expect(
        msal({
          clientId: 'cert-app-2',
          clientCertificate: { thumbprintSha256: other.sha256, privateKey: other.keyPem },
        }).acquireTokenByClientCredential({ scopes: GRAPH_SCOPE }),
      ).rejects.toMatchObject({ errorCode: 'invalid_client', errorMessage: expect.stringContaining('AADSTS700027') });
      // right thumbprint, wrong key: signature check fails
      await expect(
        msal({
          clientId: 'cert-app-2',
          clientCertificate: { thumbprintSha256: registered.sha256, privateKey: other.keyPem },
        }).acquireTokenByClientCredential({ scopes: GRAPH_SCOPE }),
      ).rejects.toMatchObject({
        errorCode: 'invalid_client',
        errorMessage: expect.stringContaining('invalid signature'),
      });
    });

    it('answers a wrong secret with invalid_client AADSTS7000215, unknown client and tenant as AAD does', async () => {
      await expect(
        msal({ clientId: 'provisioner', clientSecret: 'wrong' }).acquireTokenByClientCredential({
          scopes: GRAPH_SCOPE,
        }),
      ).rejects.toMatchObject({
        errorCode: 'invalid_client',
        errorMessage: expect.stringContaining('AADSTS7000215'),
      });
      await expect(
        msal({ clientId: 'nobody', clientSecret: 'x' }).acquireTokenByClientCredential({ scopes: GRAPH_SCOPE }),
      ).rejects.toMatchObject({
        errorCode: 'unauthorized_client',
        errorMessage: expect.stringContaining('AADSTS700016'),
      });
      const res = await emu.fetch(`${emu.baseUrl}/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=provisioner&client_secret=correct-horse&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default',
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toMatch(/^AADSTS90002:/);
    });

    it('rejects an expired certificate and an expired assertion', async () => {
      const expired = await makeExpiredCertificate(tmp);
      emu.addApp({ clientId: 'old-cert', certificatePem: expired.certPem, roles: [] });
      await expect(
        msal({
          clientId: 'old-cert',
          clientCertificate: { thumbprintSha256: expired.sha256, privateKey: expired.keyPem },
        }).acquireTokenByClientCredential({ scopes: GRAPH_SCOPE }),
      ).rejects.toMatchObject({
        errorCode: 'invalid_client',
        errorMessage: expect.stringMatching(/AADSTS700027.*expired/),
      });

      const cert = await makeClientCertificate(tmp, 'late');
      emu.addApp({ clientId: 'late-app', certificatePem: cert.certPem, roles: [] });
      const der = new X509Certificate(cert.certPem).raw;
      const now = Math.floor(Date.now() / 1000);
      const assertion = signJwt(
        { alg: 'PS256', typ: 'JWT', 'x5t#S256': createHash('sha256').update(der).digest('base64url') },
        { aud: emu.tokenEndpoint, iss: 'late-app', sub: 'late-app', jti: 'j1', nbf: now - 7200, exp: now - 3600 },
        createPrivateKey(cert.keyPem),
      );
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'late-app',
        scope: GRAPH_SCOPE[0]!,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
      const res = await emu.fetch(emu.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error_description).toMatch(/^AADSTS700024:/);
    });

    it('makes issued tokens invalid on demand (401 until a new token is fetched)', async () => {
      const app = msal({ clientId: 'provisioner', clientSecret: 'correct-horse' });
      const t1 = (await app.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE }))!.accessToken;
      emu.invalidateTokens();
      const r = await emu.fetch(`${emu.baseUrl}/v1.0/users?$top=1`, { headers: { authorization: `Bearer ${t1}` } });
      expect(r.status).toBe(401);
      expect(((await r.json()) as any).error.message).toBe('Lifetime validation failed, the token is expired.');
      // MSAL's cache still holds the dead token: a client must ask again with skipCache after a 401
      const t2 = (await app.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE, skipCache: true }))!.accessToken;
      expect(t2).not.toBe(t1);
      expect(
        (await emu.fetch(`${emu.baseUrl}/v1.0/users?$top=1`, { headers: { authorization: `Bearer ${t2}` } })).status,
      ).toBe(200);
      token = emu.issueToken('provisioner');
    });
  });

  describe('Graph API', () => {
    it('rejects a missing or invalid bearer token with 401 InvalidAuthenticationToken and the error shape', async () => {
      const res = await emu.fetch(`${emu.baseUrl}/v1.0/users`, { headers: { 'client-request-id': 'abc-123' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('client-request-id')).toBe('abc-123');
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('InvalidAuthenticationToken');
      expect(body.error.innerError['request-id']).toBe(res.headers.get('request-id'));
      expect(body.error.innerError['client-request-id']).toBe('abc-123');
      expect(body.error.innerError.date).toBeTruthy();
    });

    it('pages across 3 pages of users with $top and an opaque $skiptoken, and refuses $skip and $top=1000', async () => {
      const seeded = emu.seedUsers(
        Array.from({ length: 250 }, (_, i) => ({ mailNickname: `page${i}`, givenName: 'Page', surname: `User ${i}` })),
      );
      const ids: string[] = [];
      let url: string | undefined =
        `/users?$top=100&$select=id,userPrincipalName,accountEnabled&$filter=startswith(displayName,'Page ')`;
      let pages = 0;
      while (url) {
        const r = await graph('GET', url);
        expect(r.status).toBe(200);
        pages++;
        for (const u of r.body.value) {
          expect(Object.keys(u).sort()).toEqual(['accountEnabled', 'id', 'userPrincipalName']);
          ids.push(u.id);
        }
        url = r.body['@odata.nextLink'];
        if (url) expect(url).toMatch(/\$skiptoken=/);
      }
      expect(pages).toBe(3);
      expect(ids).toEqual(seeded.map((u) => u.id));

      expect((await graph('GET', '/users?$skip=10')).status).toBe(400);
      const big = await graph('GET', '/users?$top=1000');
      expect(big.status).toBe(400);
      expect(big.body.error.code).toBe('Request_BadRequest');
      const one = await graph('GET', `/users?$filter=userPrincipalName eq 'PAGE7@contoso.test'`);
      expect(one.body.value.map((u: any) => u.userPrincipalName)).toEqual(['page7@contoso.test']);
    });

    it('creates users with validation, and reads them by id or UPN', async () => {
      const good = {
        accountEnabled: true,
        displayName: 'Ada Lovelace',
        mailNickname: 'ada',
        userPrincipalName: 'ada@contoso.test',
        passwordProfile: { password: 'Analytical-Engine1', forceChangePasswordNextSignIn: true },
      };
      const created = await graph('POST', '/users', good);
      expect(created.status).toBe(201);
      expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.body.passwordProfile).toBeUndefined();
      expect(emu.passwordChanges.at(-1)).toMatchObject({
        userId: created.body.id,
        forceChangePasswordNextSignIn: true,
      });

      const dup = await graph('POST', '/users', { ...good, mailNickname: 'ada2' });
      expect(dup.status).toBe(400);
      expect(dup.body.error).toMatchObject({
        code: 'Request_BadRequest',
        message: 'Another object with the same value for property userPrincipalName already exists.',
      });
      expect((await graph('POST', '/users', { ...good, userPrincipalName: 'ada@elsewhere.test' })).status).toBe(400);
      expect(
        (
          await graph('POST', '/users', {
            ...good,
            userPrincipalName: 'ada3@contoso.test',
            passwordProfile: { password: 'short' },
          })
        ).status,
      ).toBe(400);
      const { accountEnabled: _omit, ...missing } = good;
      expect((await graph('POST', '/users', { ...missing, userPrincipalName: 'ada4@contoso.test' })).status).toBe(400);

      const byUpn = await graph('GET', '/users/ADA@contoso.test?$select=id,accountEnabled,mailNickname');
      expect(byUpn.body).toMatchObject({ id: created.body.id, accountEnabled: true, mailNickname: 'ada' });
      const missingUser = await graph('GET', '/users/00000000-0000-0000-0000-000000000001');
      expect(missingUser.status).toBe(404);
      expect(missingUser.body.error.code).toBe('Request_ResourceNotFound');
    });

    it('needs a password role to reset a password (403 Authorization_RequestDenied otherwise)', async () => {
      const [u] = emu.seedUsers([{ mailNickname: 'pwreset' }]) as [GraphUser];
      const denied = await graph('PATCH', `/users/${u.id}`, {
        passwordProfile: { password: 'New-Passw0rd', forceChangePasswordNextSignIn: false },
      });
      expect(denied.status).toBe(403);
      expect(denied.body.error).toMatchObject({
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      });
      emu.addApp({
        clientId: 'helpdesk',
        secret: 's',
        roles: ['User.ReadWrite.All'],
        directoryRoles: ['User Administrator'],
      });
      const res = await emu.fetch(`${emu.baseUrl}/v1.0/users/${u.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${emu.issueToken('helpdesk')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ passwordProfile: { password: 'New-Passw0rd', forceChangePasswordNextSignIn: false } }),
      });
      expect(res.status).toBe(204);
      expect(emu.passwordChanges.at(-1)).toMatchObject({
        userId: u.id,
        forceChangePasswordNextSignIn: false,
        source: 'update',
      });
      expect(JSON.stringify(emu.passwordChanges)).not.toContain('New-Passw0rd');
    });

    it('manages group membership: $ref, members@odata.bind, duplicates, nested groups', async () => {
      const [a, b] = emu.seedUsers([{ mailNickname: 'mem-a' }, { mailNickname: 'mem-b' }]) as [GraphUser, GraphUser];
      const g = await graph('POST', '/groups', {
        displayName: 'Staff',
        mailEnabled: false,
        mailNickname: 'staff',
        securityEnabled: true,
      });
      expect(g.status).toBe(201);
      const gid = g.body.id;
      const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });
      expect((await graph('POST', `/groups/${gid}/members/$ref`, ref(a.id))).status).toBe(204);
      const dup = await graph('POST', `/groups/${gid}/members/$ref`, ref(a.id));
      expect(dup.status).toBe(400);
      expect(dup.body.error.message).toMatch(
        /^One or more added object references already exist for the following modified properties: 'members'\./,
      );
      const [inner] = emu.seedGroups([{ displayName: 'Inner', mailNickname: 'inner', members: [b.id] }]) as [
        GraphGroup,
      ];
      expect(
        (
          await graph('PATCH', `/groups/${gid}`, {
            'members@odata.bind': [`https://graph.microsoft.com/v1.0/directoryObjects/${inner.id}`],
          })
        ).status,
      ).toBe(204);
      const tooMany = Array.from({ length: 21 }, () => `https://graph.microsoft.com/v1.0/directoryObjects/${a.id}`);
      expect((await graph('PATCH', `/groups/${gid}`, { 'members@odata.bind': tooMany })).status).toBe(400);
      const members = await graph('GET', `/groups/${gid}/members?$select=id,displayName`);
      expect(members.body.value).toEqual([
        { '@odata.type': '#microsoft.graph.user', id: a.id, displayName: 'mem-a' },
        { '@odata.type': '#microsoft.graph.group', id: inner.id, displayName: 'Inner' },
      ]);
      expect((await graph('DELETE', `/groups/${gid}/members/${a.id}/$ref`)).status).toBe(204);
      expect(emu.members(gid)).toEqual([inner.id]);
    });

    it('runs a $batch: shuffled responses matched by id, a throttled sub-request with its own Retry-After, dependsOn → 424', async () => {
      emu.failNext({ status: 429, retryAfter: 2, method: 'POST', path: '/users' });
      const mk = (n: number) => ({
        id: String(n),
        method: 'POST',
        url: '/users',
        headers: { 'Content-Type': 'application/json' },
        body: {
          accountEnabled: true,
          displayName: `Batch ${n}`,
          mailNickname: `batch${n}`,
          userPrincipalName: `batch${n}@contoso.test`,
          passwordProfile: { password: 'Batch-Passw0rd' },
        },
      });
      const r = await graph('POST', '/$batch', {
        requests: [
          mk(1),
          mk(2),
          mk(3),
          { id: '4', method: 'GET', url: '/users/batch1@contoso.test?$select=id', dependsOn: ['1'] },
          { id: '5', method: 'GET', url: 'users?$top=1' },
        ],
      });
      expect(r.status).toBe(200);
      const byId = new Map<string, any>(r.body.responses.map((x: any) => [x.id, x]));
      expect(byId.get('1').status).toBe(429);
      expect(byId.get('1').headers['Retry-After']).toBe('2');
      expect(byId.get('1').body.error.code).toBe('TooManyRequests');
      expect(byId.get('2').status).toBe(201);
      expect(byId.get('3').status).toBe(201);
      expect(byId.get('4').status).toBe(424);
      expect(byId.get('5').status).toBe(200);
      const subs = emu.log.filter((e) => e.batchId && e.subRequest && e.batchId === r.headers.get('request-id'));
      expect(subs.map((e) => e.subRequestId).sort()).toEqual(['1', '2', '3', '4', '5']);
      expect(subs.find((e) => e.subRequestId === '1')).toMatchObject({
        status: 429,
        retryAfter: 2,
        key: 'batch1@contoso.test',
      });

      // envelope validation
      const tooBig = await graph('POST', '/$batch', {
        requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' })),
      });
      expect(tooBig.status).toBe(400);
      const noType = await graph('POST', '/$batch', {
        requests: [{ id: '1', method: 'POST', url: '/users', body: {} }],
      });
      expect(noType.status).toBe(400);
      expect(noType.body.error.message).toBe('Write request id : 1 does not contain Content-Type header or body.');
    });

    it('tracks changes with delta: nextLink pages, then deltaLink with only the changes and @removed', async () => {
      const [da, db, dc] = emu.seedUsers([
        { mailNickname: 'delta-a' },
        { mailNickname: 'delta-b' },
        { mailNickname: 'delta-c' },
      ]) as [GraphUser, GraphUser, GraphUser];
      const [grp] = emu.seedGroups([{ displayName: 'Delta group', mailNickname: 'delta-group', members: [da.id] }]) as [
        GraphGroup,
      ];
      const drain = async (start: string, prefer?: string) => {
        const seen: any[] = [];
        let url: string = start;
        for (;;) {
          const r = await graph('GET', url, undefined, prefer ? { prefer } : {});
          expect(r.status).toBe(200);
          seen.push(...r.body.value);
          if (r.body['@odata.nextLink']) {
            url = r.body['@odata.nextLink'];
            continue;
          }
          expect(r.body['@odata.deltaLink']).toMatch(/\$deltatoken=/);
          return { seen, deltaLink: r.body['@odata.deltaLink'] as string };
        }
      };
      const first = await drain('/users/delta?$select=displayName,accountEnabled', 'odata.maxpagesize=50');
      expect(first.seen.length).toBe(emu.users().length);
      expect(first.seen.every((u) => 'id' in u && 'displayName' in u && !('userPrincipalName' in u))).toBe(true);
      const groupsFirst = await drain('/groups/delta?$select=displayName,members');
      expect(groupsFirst.seen.find((g) => g.id === grp.id)?.['members@delta']).toEqual([
        { '@odata.type': '#microsoft.graph.user', id: da.id },
      ]);

      // changes
      expect((await graph('PATCH', `/users/${db.id}`, { displayName: 'Delta B renamed' })).status).toBe(204);
      expect((await graph('DELETE', `/users/${dc.id}`)).status).toBe(204);
      expect(
        (
          await graph('POST', `/groups/${grp.id}/members/$ref`, {
            '@odata.id': `https://graph.microsoft.com/v1.0/users/${db.id}`,
          })
        ).status,
      ).toBe(204);
      expect((await graph('DELETE', `/groups/${grp.id}/members/${da.id}/$ref`)).status).toBe(204);

      const second = await drain(first.deltaLink);
      expect(second.seen).toEqual([
        { id: db.id, displayName: 'Delta B renamed', accountEnabled: true },
        { id: dc.id, '@removed': { reason: 'changed' } },
      ]);
      const groupsSecond = await drain(groupsFirst.deltaLink);
      expect(groupsSecond.seen).toHaveLength(1);
      expect(groupsSecond.seen[0]?.['members@delta']).toEqual([
        { '@odata.type': '#microsoft.graph.user', id: db.id },
        { '@odata.type': '#microsoft.graph.user', id: da.id, '@removed': { reason: 'deleted' } },
      ]);
      const third = await drain(second.deltaLink);
      expect(third.seen).toEqual([]);
      emu.expireDeltaTokens();
      const expired = await graph('GET', third.deltaLink);
      expect(expired.status).toBe(400);
      expect(expired.body.error.code).toBe('syncStateNotFound');
    });

    it('sends mail: 202 and recorded', async () => {
      const [u] = emu.seedUsers([{ mailNickname: 'noreply' }]) as [GraphUser];
      const r = await graph('POST', `/users/${u.userPrincipalName}/sendMail`, {
        message: {
          subject: 'Welcome',
          body: { contentType: 'Text', content: 'Hi' },
          toRecipients: [{ emailAddress: { address: 'ada@example.org' } }],
        },
        saveToSentItems: false,
      });
      expect(r.status).toBe(202);
      expect(emu.sentMail.at(-1)).toMatchObject({ from: 'noreply@contoso.test', message: { subject: 'Welcome' } });
    });
  });

  describe('fault injection', () => {
    it('is reproducible for a given seed: random 429 sub-responses in a batch carry Retry-After', async () => {
      const outcome = async () => {
        const e = await startGraphEmulator({ seed: 42 });
        try {
          e.addApp({ clientId: 'f', secret: 's', roles: ['User.ReadWrite.All'] });
          const users = e.seedUsers(Array.from({ length: 20 }, (_, i) => ({ mailNickname: `f${i}` })));
          e.faults.rate429 = 0.3;
          e.faults.retryAfterSeconds = 3;
          const res = await e.fetch(`${e.baseUrl}/v1.0/$batch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${e.issueToken('f')}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              requests: users.map((u, i) => ({
                id: String(i),
                method: 'PATCH',
                url: `/users/${u.id}`,
                headers: { 'content-type': 'application/json' },
                body: { jobTitle: 'x' },
              })),
            }),
          });
          const body = (await res.json()) as any;
          return body.responses.map((r: any) => `${r.id}:${r.status}:${r.headers['Retry-After'] ?? ''}`);
        } finally {
          await e.stop();
        }
      };
      const a = await outcome();
      const b = await outcome();
      expect(a).toEqual(b);
      const throttled = a.filter((x: string) => x.includes(':429:'));
      expect(throttled.length).toBeGreaterThan(0);
      expect(throttled.length).toBeLessThan(20);
      expect(throttled.every((x: string) => x.endsWith(':3'))).toBe(true);
    });

    it('drops connections before or after carrying out a write', async () => {
      const e = await startGraphEmulator();
      try {
        e.addApp({ clientId: 'd', secret: 's', roles: ['User.ReadWrite.All'] });
        const auth = { authorization: `Bearer ${e.issueToken('d')}`, 'content-type': 'application/json' };
        const create = (nick: string) =>
          e.fetch(`${e.baseUrl}/v1.0/users`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({
              accountEnabled: true,
              displayName: nick,
              mailNickname: nick,
              userPrincipalName: `${nick}@contoso.test`,
              passwordProfile: { password: 'Drop-Passw0rd' },
            }),
          });
        e.faults.dropConnectionRate = 1;
        await expect(create('before')).rejects.toThrow();
        expect(e.users().map((u) => u.mailNickname)).not.toContain('before');
        e.faults.dropConnectionRate = 0;
        e.faults.dropAfterWriteRate = 1;
        await expect(create('after')).rejects.toThrow();
        expect(e.users().map((u) => u.mailNickname)).toContain('after');
        expect(e.log.filter((x) => x.fault === 'drop' || x.fault === 'dropAfterWrite').map((x) => x.fault)).toEqual([
          'drop',
          'dropAfterWrite',
        ]);
        e.faults.dropAfterWriteRate = 0;
        const again = await create('after');
        expect(again.status).toBe(400); // the retry of a create whose answer was lost meets the duplicate
      } finally {
        await e.stop();
      }
    });
  });

  describe('write limiter', () => {
    it('answers 429 with Retry-After once the window is full, and admits again after waiting', async () => {
      const small = await startGraphEmulator({ writeLimit: { count: 5, windowMs: 2000 } });
      try {
        small.addApp({ clientId: 'w', secret: 's', roles: ['User.ReadWrite.All'] });
        const t = small.issueToken('w');
        const [u] = small.seedUsers([{ mailNickname: 'lim' }]) as [GraphUser];
        const patch = (n: number) =>
          small.fetch(`${small.baseUrl}/v1.0/users/${u.id}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
            body: JSON.stringify({ jobTitle: `t${n}` }),
          });
        for (let i = 0; i < 5; i++) expect((await patch(i)).status).toBe(204);
        const limited = await patch(5);
        expect(limited.status).toBe(429);
        const ra = Number(limited.headers.get('retry-after'));
        expect(ra).toBeGreaterThanOrEqual(1);
        expect(ra).toBeLessThanOrEqual(2);
        // reads are not limited
        const read = await small.fetch(`${small.baseUrl}/v1.0/users`, { headers: { authorization: `Bearer ${t}` } });
        expect(read.status).toBe(200);
        await new Promise((r) => setTimeout(r, ra * 1000));
        expect((await patch(6)).status).toBe(204);
        // what a test of a client's retry discipline checks: the retry came at least Retry-After later
        const entries = small.log.filter((e) => e.method === 'PATCH');
        const throttled = entries.find((e) => e.status === 429)!;
        const retry = entries.find((e) => e.time > throttled.time && e.status === 204)!;
        expect(retry.time - throttled.time).toBeGreaterThanOrEqual(throttled.retryAfter! * 1000);
        expect(throttled.fault).toBe('limit');
      } finally {
        await small.stop();
      }
    });
  });
});
