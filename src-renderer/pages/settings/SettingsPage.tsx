// Settings: how onboarding mail is sent (SMTP or Microsoft Graph) with a
// "Send test mail" button, the mail templates with a preview, how long a link
// lives and the password policy, and the reset portal (address, port,
// certificate, start/stop). Secrets are write-only: the page only learns
// that one is stored.
import { Button, Field, Input, Radio, RadioGroup, Select, Switch, Textarea } from '@fluentui/react-components';
import { SaveRegular, SendRegular } from '@fluentui/react-icons';
import { useCallback, useEffect, useState } from 'react';
import type {
  DirectoryView,
  MailTemplate,
  OnboardingSecrets,
  OnboardingSettings,
  OnboardingSettingsView,
} from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { fieldErrors } from '../../components/fieldErrors.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';
import { sectionFromHash } from '../../store/ui.ts';
import { TemplateEditor } from './TemplateEditor.tsx';
import { PortalPanel } from './PortalPanel.tsx';
import { Section, useSettingsStyles } from './Section.tsx';

const num = (v: string, fallback: number) => (Number.isFinite(Number(v)) && v.trim() !== '' ? Number(v) : fallback);

export function SettingsPage() {
  const styles = useSettingsStyles();
  const [view, setView] = useState<OnboardingSettingsView | undefined>();
  const [form, setForm] = useState<OnboardingSettings | undefined>();
  const [templates, setTemplates] = useState<
    { activation: MailTemplate; temporaryPassword: MailTemplate } | undefined
  >();
  const [secrets, setSecrets] = useState<OnboardingSecrets>({});
  const [entra, setEntra] = useState<DirectoryView[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [testTo, setTestTo] = useState('');
  const [testing, setTesting] = useState(false);

  const adopt = useCallback((v: OnboardingSettingsView) => {
    setView(v);
    setForm(v.settings);
    setTemplates({ activation: v.activationTemplate, temporaryPassword: v.temporaryPasswordTemplate });
    setSecrets({});
  }, []);

  useEffect(() => {
    call('onboarding.settings.get', {}).then(adopt, notifyError);
    call('directories.list', {}).then((l) => setEntra(l.filter((d) => d.config.kind === 'entra')), notifyError);
  }, [adopt]);

  // Opened for one section (from a list of what a send still needs): show that section.
  const loaded = !!view;
  useEffect(() => {
    const section = sectionFromHash();
    if (loaded && section) document.getElementById(`sec-${section}`)?.scrollIntoView({ block: 'start' });
  }, [loaded]);

  if (!form || !view || !templates) return <PageHeader title="Settings" />;

  const mail = form.mail;
  // The stored SMTP password only ever goes to the server and account it was saved for.
  const savedSmtp = view.settings.mail.smtp;
  const smtpMoved =
    view.hasSmtpPassword &&
    !!mail.smtp.username &&
    (['host', 'port', 'security', 'username', 'caPem', 'verifyCertificate'] as const).some(
      (k) => String(mail.smtp[k]).trim().toLowerCase() !== String(savedSmtp[k]).trim().toLowerCase(),
    );
  const setMail = (patch: Partial<OnboardingSettings['mail']>) => setForm({ ...form, mail: { ...mail, ...patch } });
  const setSmtp = (patch: Partial<OnboardingSettings['mail']['smtp']>) => setMail({ smtp: { ...mail.smtp, ...patch } });
  const setPolicy = (patch: Partial<OnboardingSettings['policy']>) =>
    setForm({ ...form, policy: { ...form.policy, ...patch } });
  const err = (k: string) => (errors[k] ? { validationState: 'error' as const, validationMessage: errors[k] } : {});

  const toSave = (): OnboardingSettings => ({
    ...form,
    activationTemplate: templates.activation,
    temporaryPasswordTemplate: templates.temporaryPassword,
  });

  const save = async (quiet = false): Promise<boolean> => {
    setSaving(true);
    setErrors({});
    try {
      adopt(await call('onboarding.settings.save', { settings: toSave(), secrets }));
      if (!quiet) notifySuccess('Settings saved.');
      return true;
    } catch (e) {
      setErrors(fieldErrors(e, 'settings.'));
      notifyError(e);
      return false;
    } finally {
      setSaving(false);
    }
  };

  const sendTest = async () => {
    setTesting(true);
    try {
      const r = await call('onboarding.mail.test', {
        to: testTo,
        mail,
        smtpPassword: secrets.smtpPassword || undefined,
      });
      notifySuccess(`Test mail sent to ${testTo} through ${r.transport}.`);
    } catch (e) {
      notifyError(e);
    } finally {
      setTesting(false);
    }
  };

  return (
    <div className={styles.page}>
      <PageHeader title="Settings">
        <Button appearance="primary" icon={<SaveRegular />} onClick={() => void save()} disabled={saving}>
          {saving ? 'Saving…' : 'Save settings'}
        </Button>
      </PageHeader>

      <Section id="mail" title="Mail" hint="How activation mails and temporary passwords are sent.">
        <Field label="Send mail with">
          <RadioGroup
            layout="horizontal"
            value={mail.transport}
            onChange={(_, d) => setMail({ transport: d.value as OnboardingSettings['mail']['transport'] })}
          >
            <Radio value="none" label="Not set up" />
            <Radio value="smtp" label="SMTP server" />
            <Radio value="graph" label="Microsoft Graph (an Entra ID mailbox)" />
          </RadioGroup>
        </Field>
        {mail.transport === 'smtp' && (
          <>
            <div className={styles.grid}>
              <Field label="From address" required {...err('mail.fromAddress')}>
                <Input
                  value={mail.fromAddress}
                  onChange={(_, d) => setMail({ fromAddress: d.value })}
                  placeholder="it-service@example.com"
                />
              </Field>
              <Field label="From name">
                <Input value={mail.fromName} onChange={(_, d) => setMail({ fromName: d.value })} />
              </Field>
              <Field label="SMTP server" required {...err('mail.smtp.host')}>
                <Input
                  value={mail.smtp.host}
                  onChange={(_, d) => setSmtp({ host: d.value })}
                  placeholder="smtp.example.com"
                />
              </Field>
              <Field label="Port" {...err('mail.smtp.port')}>
                <Input
                  type="number"
                  value={String(mail.smtp.port)}
                  onChange={(_, d) => setSmtp({ port: num(d.value, mail.smtp.port) })}
                />
              </Field>
              <Field label="Security">
                <Select
                  value={mail.smtp.security}
                  onChange={(_, d) => {
                    const security = d.value as OnboardingSettings['mail']['smtp']['security'];
                    setSmtp({
                      security,
                      port: security === 'tls' ? 465 : mail.smtp.port === 465 ? 587 : mail.smtp.port,
                    });
                  }}
                >
                  <option value="starttls">STARTTLS (required)</option>
                  <option value="tls">TLS from the start (implicit, port 465)</option>
                  <option value="none">None — a local relay only</option>
                </Select>
              </Field>
              <Field label="Verify the server certificate">
                <Switch
                  checked={mail.smtp.verifyCertificate}
                  onChange={(_, d) => setSmtp({ verifyCertificate: d.checked })}
                />
              </Field>
              <Field label="User name" hint="Leave empty if the server does not ask for authentication.">
                <Input
                  value={mail.smtp.username}
                  onChange={(_, d) => setSmtp({ username: d.value })}
                  autoComplete="off"
                />
              </Field>
              <Field
                label="Password"
                hint={
                  smtpMoved
                    ? 'The server or user name changed, so the stored password will not be sent there: enter it again.'
                    : view.hasSmtpPassword
                      ? 'A password is stored; type a new one to replace it.'
                      : undefined
                }
                validationState={smtpMoved && !secrets.smtpPassword ? 'warning' : 'none'}
              >
                <Input
                  type="password"
                  value={secrets.smtpPassword ?? ''}
                  placeholder={view.hasSmtpPassword && !smtpMoved ? '•••••••• (stored)' : ''}
                  onChange={(_, d) => setSecrets({ ...secrets, smtpPassword: d.value })}
                  autoComplete="new-password"
                />
              </Field>
            </div>
            <Field
              label="CA certificate (PEM)"
              hint="Only if the server's certificate comes from a CA this computer does not trust."
            >
              <Textarea
                className={styles.mono}
                rows={3}
                value={mail.smtp.caPem}
                onChange={(_, d) => setSmtp({ caPem: d.value })}
                placeholder="-----BEGIN CERTIFICATE-----"
              />
            </Field>
          </>
        )}
        {mail.transport === 'graph' && (
          <div className={styles.grid}>
            <Field
              label="Entra ID directory"
              required
              hint={entra.length ? undefined : 'Add a Microsoft Entra ID directory first.'}
            >
              <Select
                value={mail.graph.directoryId}
                onChange={(_, d) => setMail({ graph: { ...mail.graph, directoryId: d.value } })}
              >
                <option value="">Choose…</option>
                {entra.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.config.name}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Send from mailbox" required hint="The app needs the Mail.Send application permission.">
              <Input
                value={mail.graph.mailbox}
                onChange={(_, d) => setMail({ graph: { ...mail.graph, mailbox: d.value } })}
                placeholder="it-service@example.com"
              />
            </Field>
          </div>
        )}
        {mail.transport !== 'none' && (
          <div className={styles.row}>
            <Field label="Send a test mail to">
              <Input
                type="email"
                value={testTo}
                onChange={(_, d) => setTestTo(d.value)}
                placeholder="you@example.com"
                style={{ width: 300 }}
              />
            </Field>
            <Button icon={<SendRegular />} onClick={() => void sendTest()} disabled={testing || !testTo.includes('@')}>
              {testing ? 'Sending…' : 'Send test mail'}
            </Button>
          </div>
        )}
      </Section>

      <TemplateEditor templates={templates} defaults={view.defaultTemplates} onChange={setTemplates} />

      <Section
        id="links"
        title="Links and passwords"
        hint="How long an activation link works, and the rules a new password must meet."
      >
        <div className={styles.grid3}>
          <Field label="Link expires after (hours)" {...err('tokenLifetimeHours')}>
            <Input
              type="number"
              value={String(form.tokenLifetimeHours)}
              onChange={(_, d) => setForm({ ...form, tokenLifetimeHours: num(d.value, form.tokenLifetimeHours) })}
            />
          </Field>
          <Field label="Minimum length" {...err('policy.minLength')}>
            <Input
              type="number"
              value={String(form.policy.minLength)}
              onChange={(_, d) => setPolicy({ minLength: num(d.value, form.policy.minLength) })}
            />
          </Field>
          <Field label="Character classes needed (of 4)" {...err('policy.minClasses')}>
            <Select
              value={String(form.policy.minClasses)}
              onChange={(_, d) => setPolicy({ minClasses: Number(d.value) })}
            >
              {[0, 1, 2, 3, 4].map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </Select>
          </Field>
        </div>
        <Switch
          checked={form.policy.forbidUserName}
          onChange={(_, d) => setPolicy({ forbidUserName: d.checked })}
          label="Refuse passwords that contain the user name or the person's name"
        />
        <p className={styles.hint}>
          The directories still apply their own rules; the reset page shows their refusal when they are stricter.
        </p>
      </Section>

      <PortalPanel
        form={form}
        view={view}
        secrets={secrets}
        errors={errors}
        onForm={setForm}
        onSecrets={setSecrets}
        save={save}
        onStatus={(portal) => setView({ ...view, portal })}
      />
    </div>
  );
}
