// Verify Credentials against the Graph emulator: each failure is a different,
// precise error; the good cases report what they found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import { ALL_ROLES, connectTo, makeCertificate, type CertPair } from './graph-support.ts';

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A minimal HTTP CONNECT proxy on loopback that records where it tunnelled to. */
async function startProxy(): Promise<{ url: string; tunnels: string[]; stop(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const srv: Server = createHttpServer((_req, res) => res.writeHead(405).end());
  srv.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

describe('graph connector: Verify Credentials', () => {
  let emu: GraphEmulator;
  let cert: CertPair;
  let expired: CertPair;

  beforeAll(async () => {
    emu = await startGraphEmulator();
    [cert, expired] = await Promise.all([makeCertificate({ pkcs1: true }), makeCertificate({ expired: true })]);
    emu.addApp({ clientId: 'app', secret: 's3cret', roles: ALL_ROLES });
    emu.addApp({ clientId: 'reader', secret: 'r3ader', roles: ['User.Read.All', 'Group.Read.All'] });
    emu.addApp({ clientId: 'certapp', certificatePem: cert.certPem, roles: ALL_ROLES });
    emu.addApp({ clientId: 'oldcert', certificatePem: expired.certPem, roles: ALL_ROLES });
    emu.addApp({
      clientId: 'admin-role',
      secret: 'x',
      roles: ['User.ReadWrite.All', 'Group.ReadWrite.All', 'Mail.Send'],
      directoryRoles: ['User Administrator'],
    });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('succeeds with a good secret and reports tenant, domains and roles', async () => {
    const c = connectTo(emu);
    const r = await c.verify();
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.name)).toEqual(['Credential', 'Sign-in', 'Organization', 'Permissions']);
    expect(r.facts.tenantId).toBe(emu.tenantId);
    expect(r.facts.tenantName).toBe('Contoso (emulated)');
    expect(r.facts.verifiedDomains).toContain(emu.tenantDomain);
    expect(r.facts.roles).toEqual(expect.arrayContaining(['User.ReadWrite.All', 'Mail.Send']));
    expect(r.warnings).toEqual([]);
    // MSAL made no discovery call: only token POSTs and our one metadata read reached the authority
    const aad = emu.log.filter((e) => e.kind !== 'graph');
    expect(
      aad.filter((e) => e.kind === 'metadata').every((e) => e.path.endsWith('/v2.0/.well-known/openid-configuration')),
    ).toBe(true);
    expect(aad.filter((e) => e.kind === 'token').length).toBeGreaterThanOrEqual(1);
    expect(aad.some((e) => /discovery\/instance|common\/discovery/.test(e.path))).toBe(false);
    await c.close();
  });

  it('names a wrong client secret', async () => {
    const c = connectTo(emu, { clientSecret: 'wrong' });
    const r = await c.verify();
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('invalid_credentials');
    expect(r.error?.message).toMatch(/client secret is not valid/);
    expect(r.error?.details).toMatchObject({ aadsts: 'AADSTS7000215' });
    expect(JSON.stringify(r)).not.toContain('wrong'); // the secret never appears in the result
    expect(r.steps.at(-1)).toMatchObject({ name: 'Sign-in', ok: false });
  });

  it('names each missing permission', async () => {
    const c = connectTo(emu, { clientSecret: 'r3ader' }, { clientId: 'reader' });
    const r = await c.verify();
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('permission_missing');
    const missing = (r.error?.details as { missing: string[] }).missing;
    expect(missing).toEqual([
      'User.ReadWrite.All',
      'Group.ReadWrite.All',
      'GroupMember.ReadWrite.All',
      'User-PasswordProfile.ReadWrite.All',
      'Mail.Send',
    ]);
    for (const m of missing) expect(r.error?.message).toContain(m);
    // Read-only toggles need nothing more than the reader has (organization read is only a warning).
    const ro = connectTo(
      emu,
      { clientSecret: 'r3ader' },
      {
        clientId: 'reader',
        toggles: { users: { import: true }, groups: { import: true } },
        connection: { mailFrom: undefined },
      },
    );
    const r2 = await ro.verify();
    expect(r2.ok).toBe(true);
    expect(r2.warnings.join(' ')).toMatch(/Organization\.Read\.All/);
  });

  it('accepts a directory role in place of the password permission', async () => {
    const r = await connectTo(emu, { clientSecret: 'x' }, { clientId: 'admin-role' }).verify();
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.facts.roles).not.toContain('User-PasswordProfile.ReadWrite.All');
  });

  it('names an unreachable endpoint', async () => {
    const port = await closedPort();
    const c = connectTo(emu, undefined, {
      connection: { authorityUrl: `https://127.0.0.1:${port}`, graphUrl: `https://127.0.0.1:${port}/v1.0` },
    });
    const r = await c.verify();
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('unreachable');
    expect(r.error?.message).toMatch(new RegExp(`could not be reached at 127\\.0\\.0\\.1:${port}`));
    expect(r.error?.details).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('names a proxy that does not answer', async () => {
    const port = await closedPort();
    const r = await connectTo(emu, undefined, { connection: { proxyUrl: `http://127.0.0.1:${port}` } }).verify();
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('unreachable');
    expect(r.error?.message).toMatch(/through the configured proxy/);
  });

  it('goes through a configured proxy, token and Graph alike', async () => {
    const proxy = await startProxy();
    try {
      const c = connectTo(emu, undefined, { connection: { proxyUrl: proxy.url } });
      const r = await c.verify();
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      expect(proxy.tunnels.every((t) => t === emu.authorityHost)).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  it('names a server that answers too slowly', async () => {
    emu.faults.slowMs = 1500;
    try {
      const c = connectTo(
        emu,
        undefined,
        { connection: { timeoutMs: 1000 } },
        { retry: { maxAttempts: 2, baseDelayMs: 10 } },
      );
      await c.verify(); // tokens come from cache or time out; either way the Graph call below times out
      const err = await c
        .findUser({ userName: 'x', name: {}, emails: [], phoneNumbers: [], active: true })
        .catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('timeout');
      expect((err as Error).message).toMatch(/did not answer in time/);
    } finally {
      emu.faults.slowMs = 0;
    }
  });

  it('names an unknown tenant', async () => {
    const r = await connectTo(emu, undefined, {
      connection: { tenantId: '00000000-0000-0000-0000-0000000000ff' },
    }).verify();
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('tenant_not_found');
    expect(r.error?.message).toContain('00000000-0000-0000-0000-0000000000ff');
  });

  it('names an untrusted server certificate (no CA given)', async () => {
    const r = await connectTo(emu, undefined, { connection: { caCertPem: undefined } }).verify();
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('certificate_untrusted');
  });

  it('signs in with a certificate (PKCS#1 key converted, SHA-256 thumbprint)', async () => {
    const c = connectTo(
      emu,
      { certificateKeyPem: cert.keyPem },
      { clientId: 'certapp', connection: { credential: 'certificate', certificatePem: cert.certPem } },
    );
    const r = await c.verify();
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.facts.certificateThumbprint).toMatch(/^[0-9A-F]{40}$/);
    // and the token works for Graph
    const page = await c.listUsers()[Symbol.asyncIterator]().next();
    expect(page.done).toBe(false);
  });

  it('names an expired certificate before any request', async () => {
    const before = emu.log.length;
    const c = connectTo(
      emu,
      { certificateKeyPem: expired.keyPem },
      { clientId: 'oldcert', connection: { credential: 'certificate', certificatePem: expired.certPem } },
    );
    const r = await c.verify();
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('certificate_expired');
    expect(r.error?.message).toMatch(/expired on 2020-02-01/);
    expect(emu.log.length).toBe(before);
  });

  it('names a key that does not belong to the certificate', async () => {
    const r = await connectTo(
      emu,
      { certificateKeyPem: expired.keyPem },
      { clientId: 'certapp', connection: { credential: 'certificate', certificatePem: cert.certPem } },
    ).verify();
    expect(r.error?.code).toBe('invalid_credentials');
    expect(r.error?.message).toMatch(/does not belong/);
  });
});
