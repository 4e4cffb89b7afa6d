// `provision-desk serve` as a real child process: it holds the data folder,
// answers the reset link of an activation mail and sets the password in a
// real slapd while no window runs; read-only commands still work beside it;
// SIGTERM stops it and frees the folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src-main/app.ts';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { lockPath } from '../../src-main/store/folder-lock.ts';
import { onboardingSettingsSchema } from '../../src-preload/contract/onboarding.ts';
import { startSlapd, freePort, type SlapdServer } from '../services/slapd.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../onboarding/smtp.ts';
import { formFields, PortalBrowser, resetLinks } from '../onboarding/browser.ts';
import { ldapDirConfig, reachablePortal } from '../onboarding/fixtures.ts';
import { SMTP_PASSWORD, SMTP_USER } from '../onboarding/bulk.ts';
import { cli, CLI, NODE } from './sync-support.ts';

let slapd: SlapdServer;
let smtp: SmtpReceiver;
let work: string;
let dataDir: string;
let portalCa: string;
let userDn: string;
let link: string;
let serve: ChildProcess | undefined;
const PASSWORD = 'Kite-Falcon-2026!';
const dd = () => ['--data-dir', dataDir];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pd-serve-'));
  dataDir = join(work, 'data');
  slapd = await startSlapd();
  const pair = await generateSelfSigned(['localhost', '127.0.0.1']);
  smtp = await startSmtpReceiver({ ...pair, user: SMTP_USER, password: SMTP_PASSWORD });

  // The admin's session in the app: a directory, a user, mail settings, the portal started, one mail sent.
  const app = createApp({ dataDir, shell: 'test' });
  try {
    const dir = app.directories.save(
      undefined,
      ldapDirConfig('ldap', 'Staff LDAP', {
        urls: [slapd.ldapsUrl],
        caCertPem: slapd.caCertPem,
        bindDn: slapd.adminDn,
        baseDn: slapd.baseDn,
        userSearchBase: slapd.peopleDn,
        userTargetOu: slapd.peopleDn,
      }),
      { bindPassword: slapd.adminPassword },
    );
    const data = {
      ...emptyUser('served1'),
      displayName: 'Served One',
      name: { givenName: 'Served', familyName: 'One' },
    };
    const ldap = app.directories.connector(dir.id);
    const created = await ldap.createUser(data, { password: 'Initial-Pass-1!' }).finally(() => ldap.close());
    userDn = created.ref;
    const local = app.users.create({
      ...data,
      emails: [{ value: 'served1@example.test', primary: true }],
      phoneNumbers: [],
      active: true,
    });
    app.repos.links.upsert({
      directoryId: dir.id,
      objectType: 'user',
      localId: local.id,
      anchor: created.anchor,
      ref: created.ref,
      state: 'provisioned',
      reason: null,
      hash: null,
    });
    const settings = onboardingSettingsSchema.parse({
      mail: {
        transport: 'smtp',
        fromAddress: 'it@example.test',
        smtp: { host: '127.0.0.1', port: smtp.port, security: 'starttls', username: SMTP_USER, caPem: pair.certPem },
      },
      portal: reachablePortal(await freePort()),
    });
    await app.onboarding.saveSettings(settings, { smtpPassword: SMTP_PASSWORD });
    await app.onboarding.startPortal();
    portalCa = app.vault.get<{ certPem: string }>('onboarding:portal-self-signed')!.certPem;
    const sent = await app.onboarding.sendActivation([local.id]);
    expect(sent.sent, JSON.stringify(sent.results)).toBe(1);
    const links = resetLinks((await smtp.waitFor(1))[0]!.text);
    expect(links).toHaveLength(1);
    link = links[0]!;
  } finally {
    // The window closes: its portal stops with it.
    await app.close();
  }
}, 300_000);

afterAll(async () => {
  serve?.kill('SIGKILL');
  await smtp?.stop();
  await slapd?.stop();
  rmSync(work, { recursive: true, force: true });
});

function startServe(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(NODE, [CLI, 'serve', ...dd()], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Outbox worker running')) resolve({ child, output: () => out });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

async function bind(dn: string, password: string): Promise<string> {
  const c = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caCertPem } });
  try {
    await c.bind(dn, password);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.unbind().catch(() => {});
  }
}

describe('provision-desk serve', () => {
  it('answers the reset link and sets the password while no window runs; holds the folder until SIGTERM', async () => {
    // No window and no serve: nobody answers the link.
    await expect(new PortalBrowser(portalCa).get(link)).rejects.toThrow();

    const s = await startServe();
    serve = s.child;
    expect(s.output()).toContain(`Provision Desk is serving the data folder ${dataDir}`);
    expect(s.output()).toMatch(/Reset portal listening on https:\/\/0\.0\.0\.0:\d+; links in mails open https:\/\//);

    // A writing command is refused with the holder named; a read-only one runs beside it.
    const refused = await cli(['user', 'delete', 'served1', ...dd()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Provision Desk (provision-desk serve, pid ${s.child.pid}, since`);
    const listed = await cli(['directory', 'list', '--json', ...dd()]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'Staff LDAP' })]);

    const b = new PortalBrowser(portalCa);
    const page = await b.get(link);
    expect(page.status).toBe(200);
    expect(page.body).toContain('served1');
    const f = formFields(page.body)!;
    const done = await b.post(new URL(f.action, link).href, {
      t: f.t,
      csrf: f.csrf,
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Your password is set');
    expect(await bind(userDn, PASSWORD)).toBe('ok');

    const status = await cli(['onboarding', 'status', '--json', ...dd()]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).users).toEqual([
      expect.objectContaining({ userName: 'served1', status: 'activated' }),
    ]);

    const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
    s.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    serve = undefined;
    expect(existsSync(lockPath(dataDir))).toBe(false);
    expect((await cli(['outbox', ...dd(), '--wait', '0'])).code).toBe(0);
  });
});
