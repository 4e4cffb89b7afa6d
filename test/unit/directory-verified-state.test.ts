// "Credentials: Not verified" must not follow a successful Verify of exactly
// what is then saved; a Verify of other settings or another secret does not count.
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { fakeLdapConfig, useFakeDirectoryApp } from './sync-fake-connector.ts';

const fx = useFakeDirectoryApp('pd-verified-');

describe('verify then save', () => {
  it('keeps the verify result of the unsaved form when exactly that form is saved', async () => {
    const config = fakeLdapConfig('Corp LDAP');
    const r = await dispatch(fx.app, 'directories.verify', { config, secrets: { bindPassword: 'pw' } });
    expect(r).toMatchObject({ ok: true, value: { ok: true } });
    const saved = fx.app.directories.save(undefined, config, { bindPassword: 'pw' });
    expect(saved.lastVerify).toMatchObject({ ok: true, summary: 'Verified' });
  });

  it('does not count a verify of another password or other settings', async () => {
    const config = fakeLdapConfig('Corp LDAP');
    await dispatch(fx.app, 'directories.verify', { config, secrets: { bindPassword: 'pw' } });
    expect(fx.app.directories.save(undefined, config, { bindPassword: 'other' }).lastVerify).toBeUndefined();
    const other = fakeLdapConfig('Other LDAP');
    await dispatch(fx.app, 'directories.verify', { config: other, secrets: { bindPassword: 'pw' } });
    const changed = { ...other, safety: { ...other.safety, deleteThresholdCount: 7 } };
    expect(fx.app.directories.save(undefined, changed, { bindPassword: 'pw' }).lastVerify).toBeUndefined();
  });

  it('an edited saved directory keeps its verify result when the edit was verified, with the saved secret', async () => {
    const config = fakeLdapConfig('Corp LDAP');
    const { id } = fx.app.directories.save(undefined, config, { bindPassword: 'pw' });
    const edited = { ...config, name: 'Corp LDAP renamed' };
    await dispatch(fx.app, 'directories.verify', { id, config: edited, secrets: {} });
    expect(fx.app.directories.get(id).lastVerify).toBeUndefined();
    expect(fx.app.directories.save(id, edited, {}).lastVerify).toMatchObject({ ok: true });
  });
});
