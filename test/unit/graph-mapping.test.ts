import { describe, expect, it } from 'vitest';
import { createGroupMapper, createUserMapper, toMailNickname, toUpn } from '../../src-main/connectors/graph/mapping.ts';
import { graphDefaults } from '../../src-main/connectors/graph/index.ts';
import { resolveCloud } from '../../src-main/connectors/graph/clouds.ts';
import { missingPermissions, requiredPermissions } from '../../src-main/connectors/graph/verify.ts';
import { graphError, isAlreadyExists } from '../../src-main/connectors/graph/errors.ts';
import { decodeJwtPayload } from '../../src-main/connectors/graph/auth.ts';
import { userModelPaths } from '../../src-main/mapping/model-paths.ts';
import type { RemoteUserData } from '../../src-main/connectors/connector.ts';

const graphUser = {
  id: 'u-1',
  userPrincipalName: 'ada@contoso.example',
  displayName: 'Ada Lovelace',
  givenName: 'Ada',
  surname: 'Lovelace',
  mail: 'ada@contoso.example',
  jobTitle: 'Analyst',
  department: 'Engines',
  employeeId: 'E1815',
  mobilePhone: '+44 1',
  businessPhones: ['+44 2'],
  accountEnabled: false,
  manager: { id: 'm-1' },
};

describe('graph mapping', () => {
  it('has the documented defaults, all on model paths', () => {
    const rows = graphDefaults().userMapping;
    expect(rows.map((r) => r.remote)).toEqual([
      'userPrincipalName',
      'displayName',
      'givenName',
      'surname',
      'mail',
      'mailNickname',
      'jobTitle',
      'department',
      'employeeId',
      'mobilePhone',
      'businessPhones',
      'manager',
      'accountEnabled',
    ]);
    for (const r of rows) expect(userModelPaths).toContain(r.model);
    expect(graphDefaults().groupMapping.map((r) => r.remote)).toEqual(['displayName', 'description']);
  });

  it('reads a Graph user into the model', () => {
    const m = createUserMapper([], 'contoso.example');
    expect(m.select).toEqual([
      'id',
      'userPrincipalName',
      'displayName',
      'givenName',
      'surname',
      'mail',
      'jobTitle',
      'department',
      'employeeId',
      'mobilePhone',
      'businessPhones',
      'accountEnabled',
    ]);
    expect(m.select).not.toContain('mailNickname');
    expect(m.expandManager).toBe(true);
    const u = m.fromGraph(graphUser);
    expect(u.anchor).toBe('u-1');
    expect(u.data).toMatchObject({
      userName: 'ada@contoso.example',
      displayName: 'Ada Lovelace',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      title: 'Analyst',
      department: 'Engines',
      employeeNumber: 'E1815',
      active: false,
      managerRef: 'm-1',
    });
    expect(u.data.emails).toEqual([{ value: 'ada@contoso.example', type: 'work', primary: true }]);
    expect(u.data.phoneNumbers).toEqual(
      expect.arrayContaining([
        { value: '+44 1', type: 'mobile' },
        { value: '+44 2', type: 'work' },
      ]),
    );
  });

  it('builds the create body with a UPN on the default domain and a valid mailNickname', () => {
    const m = createUserMapper(undefined, 'contoso.example');
    const data: RemoteUserData = {
      userName: 'grace.hopper',
      name: { givenName: 'Grace', familyName: 'Hopper' },
      emails: [],
      phoneNumbers: [{ value: '+1 5', type: 'work' }],
      active: true,
      managerRef: 'm-9',
    };
    const body = m.toCreateBody(data);
    expect(body).toEqual({
      userPrincipalName: 'grace.hopper@contoso.example',
      mailNickname: 'grace.hopper',
      givenName: 'Grace',
      surname: 'Hopper',
      businessPhones: ['+1 5'],
      accountEnabled: true,
      displayName: 'Grace Hopper',
    });
    expect(body).not.toHaveProperty('manager');
  });

  it('diffs only the changed attributes, clears with null, and reports manager changes apart', () => {
    const m = createUserMapper([], 'contoso.example');
    const before = m.fromGraph(graphUser).data;
    const after: RemoteUserData = structuredClone(before);
    after.title = 'Lead';
    after.department = undefined;
    after.managerRef = 'm-2';
    const d = m.diff(before, after);
    expect(d.patch).toEqual({ jobTitle: 'Lead', department: null });
    expect(d.manager).toEqual({ set: 'm-2' });
    expect(m.diff(before, structuredClone(before))).toEqual({ patch: {}, manager: undefined });
    const noMgr = structuredClone(before);
    noMgr.managerRef = undefined;
    expect(m.diff(before, noMgr).manager).toEqual({ remove: true });
  });

  it("follows the admin's edited rows (direction included)", () => {
    const m = createUserMapper(
      [
        { model: 'userName', remote: 'userPrincipalName', direction: 'both' },
        { model: 'employeeNumber', remote: 'employeeId', direction: 'import' },
        { model: 'department', remote: 'companyName', direction: 'both' },
      ],
      '',
    );
    expect(m.select).toEqual(['id', 'userPrincipalName', 'employeeId', 'companyName']);
    expect(m.expandManager).toBe(false);
    const body = m.toCreateBody({
      userName: 'x@y.example',
      name: {},
      emails: [],
      phoneNumbers: [],
      active: true,
      employeeNumber: '7',
      department: 'Ops',
    });
    expect(body).toEqual({
      userPrincipalName: 'x@y.example',
      companyName: 'Ops',
      mailNickname: 'x',
      displayName: 'x',
      accountEnabled: true,
    });
  });

  it('converts UPNs and nicknames', () => {
    expect(toUpn('bob', 'contoso.example')).toBe('bob@contoso.example');
    expect(toUpn('bob@fabrikam.example', 'contoso.example')).toBe('bob@fabrikam.example');
    expect(toMailNickname("Zoë O'Brien (ext)@x")).toBe("ZoeO'Brienext");
    expect(toMailNickname('@@@')).toBe('user');
  });

  it('maps groups as security groups', () => {
    const g = createGroupMapper([]);
    expect(g.toCreateBody({ displayName: 'Sales Team', description: 'All of sales' })).toEqual({
      displayName: 'Sales Team',
      description: 'All of sales',
      mailEnabled: false,
      securityEnabled: true,
      mailNickname: 'Sales-Team',
    });
    const rg = g.fromGraph({ id: 'g1', displayName: 'Sales', description: null }, [{ ref: 'u1', type: 'User' }]);
    expect(rg).toEqual({
      anchor: 'g1',
      ref: 'g1',
      data: { displayName: 'Sales' },
      members: [{ ref: 'u1', type: 'User' }],
    });
  });
});

describe('graph clouds', () => {
  it('knows the national clouds', () => {
    expect(resolveCloud({ cloud: 'global', tenantId: 't1' })).toMatchObject({
      authority: 'https://login.microsoftonline.com/t1',
      graphBase: 'https://graph.microsoft.com/v1.0',
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(resolveCloud({ cloud: 'usGov', tenantId: 't1' })).toMatchObject({
      authority: 'https://login.microsoftonline.us/t1',
      graphBase: 'https://graph.microsoft.us/v1.0',
    });
    expect(resolveCloud({ cloud: 'china', tenantId: 't1' })).toMatchObject({
      authority: 'https://login.chinacloudapi.cn/t1',
      graphBase: 'https://microsoftgraph.chinacloudapi.cn/v1.0',
    });
  });
  it('takes a custom authority with or without the tenant, and a Graph URL with or without the version', () => {
    expect(
      resolveCloud({
        cloud: 'custom',
        tenantId: 't1',
        authorityUrl: 'https://127.0.0.1:8443',
        graphUrl: 'https://127.0.0.1:8443/',
      }),
    ).toMatchObject({
      authority: 'https://127.0.0.1:8443/t1',
      graphBase: 'https://127.0.0.1:8443/v1.0',
      custom: true,
    });
    expect(
      resolveCloud({
        cloud: 'custom',
        tenantId: 't1',
        authorityUrl: 'https://127.0.0.1:8443/t1/',
        graphUrl: 'https://127.0.0.1:9/v1.0',
      }).authority,
    ).toBe('https://127.0.0.1:8443/t1');
    expect(() =>
      resolveCloud({ cloud: 'custom', tenantId: 't1', authorityUrl: 'http://x', graphUrl: 'https://y' }),
    ).toThrow(/https/);
  });
});

describe('graph verify and errors (pure parts)', () => {
  const toggles = {
    users: { import: true, create: true, edit: true, delete: false, passwordSync: true },
    groups: { import: true, create: false, delete: false, membership: true },
  };
  it('lists what the switched-on toggles need, and what the token lacks, by name', () => {
    const req = requiredPermissions(toggles, { mailFrom: 'noreply@x' });
    expect(req.map((r) => r.permission)).toEqual([
      'User.ReadWrite.All',
      'Group.Read.All',
      'GroupMember.ReadWrite.All',
      'User-PasswordProfile.ReadWrite.All',
      'Mail.Send',
    ]);
    expect(missingPermissions(req, ['User.ReadWrite.All', 'Group.ReadWrite.All']).map((r) => r.permission)).toEqual([
      'User-PasswordProfile.ReadWrite.All',
      'Mail.Send',
    ]);
    // a directory role in wids stands in for the password permission
    expect(
      missingPermissions(req, ['Directory.ReadWrite.All', 'Mail.Send'], ['fe930be7-5e62-47db-91af-98c3a49a38b1']),
    ).toEqual([]);
  });
  it("keeps Graph's code, message and request-id with an admin sentence", () => {
    const body = {
      error: {
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
        innerError: { 'request-id': 'r-1', date: '2025-01-01T00:00:00' },
      },
    };
    const e = graphError(403, body, {
      what: 'delete the user',
      method: 'DELETE',
      url: 'https://graph.microsoft.com/v1.0/users/abc?x=secret',
    });
    expect(e.code).toBe('permission_missing');
    expect(e.message).toMatch(/^Microsoft Entra ID could not delete the user: /);
    expect(e.details).toMatchObject({
      status: 403,
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
      requestId: 'r-1',
      path: '/v1.0/users/abc',
    });
    expect(
      isAlreadyExists(400, {
        error: {
          message:
            "One or more added object references already exist for the following modified properties: 'members'.",
        },
      }),
    ).toBe(true);
    expect(graphError(429, {}, { retryAfterMs: 5000 })).toMatchObject({
      code: 'throttled',
      transient: true,
      retryAfterMs: 5000,
    });
  });
  it('decodes the roles of a token', () => {
    const t = `x.${Buffer.from(JSON.stringify({ roles: ['User.Read.All'] })).toString('base64url')}.y`;
    expect(decodeJwtPayload(t)).toEqual({ roles: ['User.Read.All'] });
    expect(decodeJwtPayload('nope')).toBeUndefined();
  });
});
