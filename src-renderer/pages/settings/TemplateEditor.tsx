// The two mail templates (activation, temporary password) with their
// placeholders, and a preview rendered by main with sample values: the HTML
// part in a sandboxed frame (no scripts), the text part as it is.
import { Button, Field, Input, Tab, TabList, Textarea, Text, makeStyles, tokens } from '@fluentui/react-components';
import { ArrowResetRegular, EyeRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { MailPreview, MailTemplate } from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { notifyError } from '../../store/notices.ts';
import { Section, useSettingsStyles } from './Section.tsx';

type Kind = 'activation' | 'temporaryPassword';
type Templates = Record<Kind, MailTemplate>;

const placeholders: Record<Kind, string> = {
  activation: '{displayName} {userName} {link} {expiry}',
  temporaryPassword: '{displayName} {userName} {password}',
};

const useStyles = makeStyles({
  preview: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '12px' },
  frame: {
    width: '100%',
    height: '320px',
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: '#ffffff',
  },
  text: {
    margin: 0,
    whiteSpace: 'pre-wrap',
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: '8px',
    maxHeight: '320px',
    overflow: 'auto',
  },
  warn: { color: tokens.colorPaletteDarkOrangeForeground1 },
});

export function TemplateEditor(props: { templates: Templates; defaults: Templates; onChange: (t: Templates) => void }) {
  const s = useSettingsStyles();
  const styles = useStyles();
  const [kind, setKind] = useState<Kind>('activation');
  const [preview, setPreview] = useState<MailPreview | undefined>();
  const t = props.templates[kind];
  const set = (patch: Partial<MailTemplate>) => {
    props.onChange({ ...props.templates, [kind]: { ...t, ...patch } });
    setPreview(undefined);
  };

  const showPreview = async () => {
    try {
      setPreview(await call('onboarding.template.preview', { kind, template: t }));
    } catch (e) {
      notifyError(e);
    }
  };

  const reset = () => {
    props.onChange({ ...props.templates, [kind]: props.defaults[kind] });
    setPreview(undefined);
  };

  return (
    <Section
      id="templates"
      title="Mail templates"
      hint={`Placeholders: ${placeholders[kind]}. Values are escaped in the HTML part.`}
    >
      <TabList selectedValue={kind} onTabSelect={(_, d) => (setKind(d.value as Kind), setPreview(undefined))}>
        <Tab value="activation">Activation mail</Tab>
        <Tab value="temporaryPassword">Temporary password</Tab>
      </TabList>
      <Field label="Subject">
        <Input value={t.subject} onChange={(_, d) => set({ subject: d.value })} />
      </Field>
      <div className={s.grid}>
        <Field label="HTML part">
          <Textarea className={s.mono} rows={12} value={t.html} onChange={(_, d) => set({ html: d.value })} />
        </Field>
        <Field label="Text part">
          <Textarea className={s.mono} rows={12} value={t.text} onChange={(_, d) => set({ text: d.value })} />
        </Field>
      </div>
      <div className={s.row}>
        <Button icon={<EyeRegular />} onClick={() => void showPreview()}>
          Preview
        </Button>
        <Button icon={<ArrowResetRegular />} appearance="subtle" onClick={reset}>
          Reset to default
        </Button>
      </div>
      {preview && (
        <div role="region" aria-label="Mail preview">
          <Text weight="semibold" block>
            Subject: {preview.subject}
          </Text>
          {preview.unknownPlaceholders.length > 0 && (
            <Text className={styles.warn} block>
              Unknown placeholders, sent as written: {preview.unknownPlaceholders.map((p) => `{${p}}`).join(' ')}
            </Text>
          )}
          <div className={styles.preview}>
            <iframe title="HTML preview" className={styles.frame} sandbox="" srcDoc={preview.html} />
            <pre className={styles.text} aria-label="Text preview">
              {preview.text}
            </pre>
          </div>
        </div>
      )}
    </Section>
  );
}
