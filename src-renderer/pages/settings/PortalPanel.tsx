// The reset portal: where it listens, the address in the links, its
// certificate (the admin's own, or a self-signed one with a visible
// warning), and Start / Stop with its state.
import {
  Badge,
  Button,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Radio,
  RadioGroup,
  Text,
  Textarea,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { CertificateRegular, PlayRegular, StopRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import type {
  OnboardingSecrets,
  OnboardingSettings,
  OnboardingSettingsView,
  PortalStatus,
} from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { when } from '../../components/format.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';
import { Section, useSettingsStyles } from './Section.tsx';

const useStyles = makeStyles({
  status: { display: 'flex', gap: '8px', alignItems: 'center', flexWrap: 'wrap' },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 12px', fontSize: tokens.fontSizeBase200 },
  key: { color: tokens.colorNeutralForeground3 },
  wrap: { wordBreak: 'break-all' },
});

export function PortalPanel(props: {
  form: OnboardingSettings;
  view: OnboardingSettingsView;
  secrets: OnboardingSecrets;
  errors: Record<string, string>;
  onForm: (f: OnboardingSettings) => void;
  onSecrets: (s: OnboardingSecrets) => void;
  save: (quiet?: boolean) => Promise<boolean>;
  onStatus: (s: PortalStatus) => void;
}) {
  const s = useSettingsStyles();
  const styles = useStyles();
  const { form, view } = props;
  const p = form.portal;
  const status = view.portal;
  const [busy, setBusy] = useState(false);
  const [hostnames, setHostnames] = useState('');
  const set = (patch: Partial<OnboardingSettings['portal']>) => props.onForm({ ...form, portal: { ...p, ...patch } });
  const err = (k: string) =>
    props.errors[k] ? { validationState: 'error' as const, validationMessage: props.errors[k] } : {};

  const act = async (what: 'start' | 'stop' | 'generate') => {
    setBusy(true);
    try {
      if (what !== 'stop' && !(await props.save(true))) return;
      const next =
        what === 'start'
          ? await call('onboarding.portal.start', {})
          : what === 'stop'
            ? await call('onboarding.portal.stop', {})
            : await call('onboarding.portal.generateCertificate', {
                hostnames: (hostnames || defaultNames(form)).split(/[\s,]+/).filter(Boolean),
              });
      props.onStatus(next);
      if (what === 'start') notifySuccess(`The reset portal is running at ${next.listening}.`);
      if (what === 'generate') notifySuccess('A new self-signed certificate was generated.');
    } catch (e) {
      notifyError(e);
      call('onboarding.portal.status', {}).then(props.onStatus, () => undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section
      id="portal"
      title="Reset portal"
      hint="The small HTTPS site the activation links open. It must be reachable from where users read their mail."
    >
      <div className={styles.status} aria-live="polite">
        <Text weight="semibold">Status:</Text>
        {status.running ? (
          <Badge appearance="filled" color="success">
            Running
          </Badge>
        ) : (
          <Badge appearance="outline" color="informative">
            Stopped
          </Badge>
        )}
        {status.listening && <Text className={styles.wrap}>listening on {status.listening}</Text>}
        <span style={{ flexGrow: 1 }} />
        {status.running ? (
          <Button icon={<StopRegular />} onClick={() => void act('stop')} disabled={busy}>
            Stop portal
          </Button>
        ) : (
          <Button appearance="primary" icon={<PlayRegular />} onClick={() => void act('start')} disabled={busy}>
            Start portal
          </Button>
        )}
      </div>
      {status.error && (
        <MessageBar intent="error">
          <MessageBarBody>{status.error}</MessageBarBody>
        </MessageBar>
      )}
      {status.warnings.map((w) => (
        <MessageBar key={w} intent="warning">
          <MessageBarBody>
            <MessageBarTitle>Certificate</MessageBarTitle>
            {w}
          </MessageBarBody>
        </MessageBar>
      ))}
      <div className={s.grid3}>
        <Field
          label="Listen address"
          hint="127.0.0.1 = this computer only; 0.0.0.0 = every network interface."
          {...err('portal.listenHost')}
        >
          <Input value={p.listenHost} onChange={(_, d) => set({ listenHost: d.value })} />
        </Field>
        <Field label="Port" {...err('portal.port')}>
          <Input type="number" value={String(p.port)} onChange={(_, d) => set({ port: Number(d.value) || p.port })} />
        </Field>
        <Field label="Address in the links" hint={`Empty: ${status.publicUrl}`} {...err('portal.publicUrl')}>
          <Input
            value={p.publicUrl}
            onChange={(_, d) => set({ publicUrl: d.value })}
            placeholder="https://reset.example.com:8443"
          />
        </Field>
      </div>
      <Field label="Certificate">
        <RadioGroup
          layout="horizontal"
          value={p.certificate}
          onChange={(_, d) => set({ certificate: d.value as 'selfSigned' | 'provided' })}
        >
          <Radio value="provided" label="My certificate and key" />
          <Radio value="selfSigned" label="Self-signed (browsers will warn)" />
        </RadioGroup>
      </Field>
      {p.certificate === 'provided' ? (
        <div className={s.grid}>
          <Field label="Certificate chain (PEM)" {...err('portal.certPem')}>
            <Textarea
              className={s.mono}
              rows={5}
              value={p.certPem}
              onChange={(_, d) => set({ certPem: d.value })}
              placeholder="-----BEGIN CERTIFICATE-----"
            />
          </Field>
          <Field
            label="Private key (PEM)"
            hint={
              view.hasPortalKey
                ? 'A key is stored; paste a new one to replace it.'
                : 'Unencrypted PKCS#8 or traditional PEM.'
            }
          >
            <Textarea
              className={s.mono}
              rows={5}
              value={props.secrets.portalKeyPem ?? ''}
              onChange={(_, d) => props.onSecrets({ ...props.secrets, portalKeyPem: d.value })}
              placeholder={view.hasPortalKey ? '(stored)' : '-----BEGIN PRIVATE KEY-----'}
            />
          </Field>
        </div>
      ) : (
        <div className={s.row}>
          <Field
            label="Names in the certificate"
            hint="Host names and IP addresses users will open, separated by spaces."
          >
            <Input
              value={hostnames}
              onChange={(_, d) => setHostnames(d.value)}
              placeholder={defaultNames(form)}
              style={{ width: 420 }}
            />
          </Field>
          <Button icon={<CertificateRegular />} onClick={() => void act('generate')} disabled={busy}>
            Generate certificate
          </Button>
        </div>
      )}
      {status.certificate && (
        <div className={styles.facts} aria-label="Certificate in use">
          <span className={styles.key}>Subject</span>
          <span className={styles.wrap}>{status.certificate.subject}</span>
          <span className={styles.key}>Names</span>
          <span className={styles.wrap}>{status.certificate.altNames.join(', ') || '—'}</span>
          <span className={styles.key}>Valid until</span>
          <span>{when(status.certificate.validTo)}</span>
          <span className={styles.key}>SHA-256</span>
          <span className={styles.wrap}>{status.certificate.fingerprint256}</span>
        </div>
      )}
    </Section>
  );
}

function defaultNames(form: OnboardingSettings): string {
  const names = ['localhost', '127.0.0.1'];
  try {
    if (form.portal.publicUrl) names.unshift(new URL(form.portal.publicUrl).hostname);
  } catch {
    /* not a URL yet */
  }
  if (!['0.0.0.0', '::', '127.0.0.1'].includes(form.portal.listenHost)) names.push(form.portal.listenHost);
  return [...new Set(names)].join(' ');
}
