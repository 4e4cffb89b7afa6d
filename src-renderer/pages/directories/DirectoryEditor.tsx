// Add or edit a directory: a guided form per kind, in the order an admin
// sets one up: connection, credentials, scope, where new objects go,
// attribute mapping, matching, provisioning, safety. Verify Credentials
// checks the form as it stands (saved secrets are used when none is typed).
import {
  Badge,
  Button,
  Card,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Radio,
  RadioGroup,
  Select,
  Spinner,
  Switch,
  Text,
  Textarea,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  AddRegular,
  ArrowDownRegular,
  ArrowLeftRegular,
  ArrowUpRegular,
  DeleteRegular,
  KeyRegular,
  PlugConnectedRegular,
  SaveRegular,
} from '@fluentui/react-icons';
import { useEffect, useState, type ReactNode } from 'react';
import {
  directoryKindLabel,
  secretEndpoint,
  type DirectoryConfig,
  type DirectoryKind,
  type DirectorySecrets,
  type DirectoryView,
  type MappingRow,
  type VerifyResult,
} from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { fieldErrors } from '../../components/fieldErrors.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';
import { MappingTable } from './MappingTable.tsx';
import { VerifyResultView } from './VerifyResultView.tsx';
import { ScheduleFields } from './ScheduleFields.tsx';
import {
  blankConfig,
  cleanSecrets,
  engineActiveRow,
  getPath,
  matchingLabels,
  setPath,
  toSaveConfig,
  type FormConfig,
} from './form.ts';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', gap: '16px', maxWidth: '980px' },
  card: { padding: '16px 20px', display: 'flex', flexDirection: 'column', gap: '12px' },
  sectionTitle: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  hint: { color: tokens.colorNeutralForeground3 },
  grid: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '12px 16px' },
  row: { display: 'flex', gap: '12px', alignItems: 'center', flexWrap: 'wrap' },
  toggles: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '16px' },
  toggleGroup: { display: 'flex', flexDirection: 'column', gap: '4px', border: 'none', padding: 0, margin: 0 },
  legend: { fontWeight: tokens.fontWeightSemibold, marginBottom: '4px', padding: 0 },
  matchList: {
    listStyle: 'decimal',
    paddingLeft: '24px',
    margin: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: '4px',
  },
  matchItem: { display: 'flex', alignItems: 'center', gap: '8px' },
  footer: {
    display: 'flex',
    gap: '8px',
    position: 'sticky',
    bottom: 0,
    padding: '12px 0',
    backgroundColor: tokens.colorNeutralBackground1,
    borderTop: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  mono: { fontFamily: tokens.fontFamilyMonospace },
});

function Section(props: { id: string; title: string; hint?: string; children: ReactNode }) {
  const styles = useStyles();
  return (
    <Card className={styles.card} role="region" aria-labelledby={`sec-${props.id}`}>
      <h2 id={`sec-${props.id}`} className={styles.sectionTitle}>
        {props.title}
      </h2>
      {props.hint && <Text className={styles.hint}>{props.hint}</Text>}
      {props.children}
    </Card>
  );
}

/** The endpoint of the form as it stands; a form that does not parse yet counts as changed. */
function endpointOf(form: FormConfig, mappingEdited: { users: boolean; groups: boolean }): string {
  try {
    return secretEndpoint(toSaveConfig(form, mappingEdited));
  } catch {
    return '';
  }
}

export function DirectoryEditor(props: { existing?: DirectoryView; kind: DirectoryKind; onClose: () => void }) {
  const styles = useStyles();
  const kind = props.existing?.config.kind ?? props.kind;
  const [id, setId] = useState(props.existing?.id);
  const [form, setForm] = useState<FormConfig>(() => props.existing?.config ?? blankConfig(kind));
  const [defaults, setDefaults] = useState<{ userMapping: MappingRow[]; groupMapping: MappingRow[] }>({
    userMapping: [],
    groupMapping: [],
  });
  const [mappingEdited, setMappingEdited] = useState({
    users: (props.existing?.config.userMapping.length ?? 0) > 0,
    groups: (props.existing?.config.groupMapping.length ?? 0) > 0,
  });
  const [secrets, setSecrets] = useState<DirectorySecrets>({});
  const [hasSecret, setHasSecret] = useState(props.existing?.hasSecret ?? false);
  /** Where the saved secret may go: the endpoint fields as last saved. */
  const [savedEndpoint, setSavedEndpoint] = useState(() =>
    props.existing ? secretEndpoint(props.existing.config) : undefined,
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<'save' | 'verify' | undefined>();
  const [verify, setVerify] = useState<VerifyResult | undefined>();

  useEffect(() => {
    let live = true;
    call('directories.defaults', { kind })
      .then((d) => {
        if (!live) return;
        setDefaults({ userMapping: d.userMapping as MappingRow[], groupMapping: d.groupMapping as MappingRow[] });
        if (!props.existing)
          setForm((f) => ({ ...blankConfig(kind, d.connection as Record<string, unknown>), name: f.name }));
      })
      .catch((err) => notifyError(err, 'Could not load the defaults for this kind of directory.'));
    return () => {
      live = false;
    };
  }, [kind, props.existing]);

  const value = (path: string) => getPath(form, path);
  const set = (path: string, v: unknown) => {
    setForm((f) => setPath(f, path, v));
    setErrors((e) =>
      Object.keys(e).some((k) => k === path || k.startsWith(`${path}.`))
        ? Object.fromEntries(Object.entries(e).filter(([k]) => k !== path && !k.startsWith(`${path}.`)))
        : e,
    );
  };
  const err = (path: string) => errors[path];

  const text = (
    path: string,
    label: string,
    opts: { placeholder?: string; hint?: string; required?: boolean; type?: 'text' | 'number' | 'url' } = {},
  ) => (
    <Field
      label={label}
      required={opts.required}
      hint={opts.hint}
      validationMessage={err(path)}
      validationState={err(path) ? 'error' : 'none'}
    >
      <Input
        type={opts.type ?? 'text'}
        placeholder={opts.placeholder}
        value={String(value(path) ?? '')}
        onChange={(_, d) => set(path, opts.type === 'number' ? (d.value === '' ? '' : Number(d.value)) : d.value)}
      />
    </Field>
  );
  const area = (
    path: string,
    label: string,
    opts: { placeholder?: string; hint?: string; lines?: boolean; rows?: number } = {},
  ) => {
    const v = value(path);
    return (
      <Field
        label={label}
        hint={opts.hint}
        validationMessage={err(path) ?? (opts.lines ? errorUnder(path) : undefined)}
        validationState={err(path) || (opts.lines && errorUnder(path)) ? 'error' : 'none'}
      >
        <Textarea
          className={styles.mono}
          rows={opts.rows ?? 3}
          placeholder={opts.placeholder}
          value={opts.lines ? ((v as string[] | undefined) ?? []).join('\n') : String(v ?? '')}
          onChange={(_, d) => set(path, opts.lines ? d.value.split('\n') : d.value)}
        />
      </Field>
    );
  };
  const errorUnder = (path: string) => Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1];
  const toggle = (path: string, label: string) => (
    <Switch label={label} checked={value(path) === true} onChange={(_, d) => set(path, d.checked)} />
  );

  const payload = () => ({ config: toSaveConfig(form, mappingEdited), secrets: cleanSecrets(secrets) });

  const save = async () => {
    setBusy('save');
    setErrors({});
    try {
      const view = await call('directories.save', { id, ...payload() });
      setId(view.id);
      setHasSecret(view.hasSecret);
      setSavedEndpoint(secretEndpoint(view.config));
      setSecrets({});
      setForm(view.config);
      setMappingEdited({ users: view.config.userMapping.length > 0, groups: view.config.groupMapping.length > 0 });
      notifySuccess(id ? `Saved ${view.config.name}.` : `Added ${view.config.name}.`);
    } catch (e) {
      const fe = fieldErrors(e, 'config.');
      setErrors(fe);
      notifyError(e, 'Could not save the directory.');
    } finally {
      setBusy(undefined);
    }
  };

  const runVerify = async () => {
    setBusy('verify');
    setErrors({});
    setVerify(undefined);
    try {
      setVerify(await call('directories.verify', { id, ...payload() }));
    } catch (e) {
      setErrors(fieldErrors(e, 'config.'));
      notifyError(e, 'Could not verify the directory.');
    } finally {
      setBusy(undefined);
    }
  };

  const isLdap = form.kind !== 'entra';
  const isAd = form.kind === 'activeDirectory';
  const userRows = mappingEdited.users ? form.userMapping : defaults.userMapping;
  const groupRows = mappingEdited.groups ? form.groupMapping : defaults.groupMapping;
  const matching = form.matching;
  const unusedMatching = (Object.keys(matchingLabels) as Array<keyof typeof matchingLabels>).filter(
    (m) => !matching.includes(m),
  );

  const moveMatch = (i: number, by: number) => {
    const next = [...matching];
    const [m] = next.splice(i, 1);
    next.splice(i + by, 0, m!);
    set('matching', next);
  };

  // The saved secret only ever goes to the server and account it was saved for.
  const endpointMoved = hasSecret && savedEndpoint !== undefined && endpointOf(form, mappingEdited) !== savedEndpoint;
  const keepsSecret = hasSecret && !endpointMoved;
  const secretField = (key: keyof DirectorySecrets, label: string, multiline = false) => (
    <Field
      label={keepsSecret ? `Replace the ${label.toLowerCase()}` : label}
      hint={
        keepsSecret
          ? `Leave empty to keep the saved ${label.toLowerCase()}.`
          : 'Stored encrypted on this computer; never shown again.'
      }
      required={!keepsSecret}
    >
      {multiline ? (
        <Textarea
          className={styles.mono}
          rows={3}
          value={secrets[key] ?? ''}
          onChange={(_, d) => setSecrets((s) => ({ ...s, [key]: d.value }))}
        />
      ) : (
        <Input
          type="password"
          autoComplete="new-password"
          value={secrets[key] ?? ''}
          onChange={(_, d) => setSecrets((s) => ({ ...s, [key]: d.value }))}
        />
      )}
    </Field>
  );

  return (
    <div className={styles.page}>
      <PageHeader
        title={id ? `Edit ${props.existing?.config.name ?? form.name}` : `Add ${directoryKindLabel[kind]} directory`}
      >
        <Button icon={<ArrowLeftRegular />} onClick={props.onClose}>
          Back to directories
        </Button>
      </PageHeader>
      <form
        className={styles.page}
        aria-label="Directory settings"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Section
          id="connection"
          title="Connection"
          hint={
            isLdap
              ? 'How Provision Desk reaches the directory servers.'
              : 'The Entra ID tenant and the app registration Provision Desk signs in as.'
          }
        >
          {text('name', 'Name', {
            required: true,
            placeholder: isAd ? 'Corporate AD' : isLdap ? 'Staff LDAP' : 'Contoso Entra ID',
          })}
          {isLdap ? (
            <>
              {area('connection.urls', 'Server URLs', {
                lines: true,
                rows: 2,
                placeholder: isAd ? 'ldaps://dc1.example.com:636' : 'ldaps://ldap.example.com:636',
                hint: 'One per line, tried in order. Active Directory accepts password changes over LDAPS only.',
              })}
              <div className={styles.row}>
                {toggle('connection.startTls', 'Use StartTLS on ldap:// URLs')}
                {toggle('connection.verifyCertificate', "Verify the server's certificate")}
              </div>
              {value('connection.verifyCertificate') === false && (
                <MessageBar intent="warning">
                  <MessageBarBody>
                    The server's certificate is not checked: anyone on the network path could read the bind password.
                  </MessageBarBody>
                </MessageBar>
              )}
              {!isAd && toggle('connection.allowPlainPasswords', 'Allow passwords over an unencrypted connection')}
              {!isAd && value('connection.allowPlainPasswords') === true && (
                <MessageBar intent="warning">
                  <MessageBarBody>
                    User passwords may be sent over plain ldap:// without StartTLS, readable by anyone on the network
                    path. Use this only for a test server on this computer.
                  </MessageBarBody>
                </MessageBar>
              )}
              {area('connection.caCertPem', 'Trusted CA certificate (PEM)', {
                placeholder: '-----BEGIN CERTIFICATE-----',
                hint: "Only if the server's certificate is signed by your own CA.",
              })}
              <div className={styles.grid}>
                {text('connection.timeoutMs', 'Operation timeout (ms)', { type: 'number' })}
                {text('connection.connectTimeoutMs', 'Connect timeout (ms)', { type: 'number' })}
              </div>
            </>
          ) : (
            <>
              <div className={styles.grid}>
                {text('connection.tenantId', 'Tenant ID', {
                  required: true,
                  placeholder: '00000000-0000-0000-0000-000000000000',
                })}
                {text('connection.clientId', 'Client (application) ID', { required: true })}
              </div>
              <Field label="Cloud">
                <Select value={String(value('connection.cloud'))} onChange={(_, d) => set('connection.cloud', d.value)}>
                  <option value="global">Global (login.microsoftonline.com)</option>
                  <option value="usGov">US Government</option>
                  <option value="china">China (21Vianet)</option>
                  <option value="custom">Custom endpoints</option>
                </Select>
              </Field>
              {value('connection.cloud') === 'custom' && (
                <div className={styles.grid}>
                  {text('connection.authorityUrl', 'Authority URL', {
                    type: 'url',
                    placeholder: 'https://login.example/',
                  })}
                  {text('connection.graphUrl', 'Graph URL', { type: 'url', placeholder: 'https://graph.example/' })}
                </div>
              )}
              <div className={styles.grid}>
                {text('connection.proxyUrl', 'Proxy URL', { placeholder: 'http://proxy.example.com:8080' })}
                {text('connection.timeoutMs', 'Request timeout (ms)', { type: 'number' })}
              </div>
              {area('connection.caCertPem', 'Trusted CA certificate (PEM)', {
                hint: 'Only if a proxy re-signs TLS with your own CA.',
              })}
            </>
          )}
        </Section>

        <Section
          id="credentials"
          title="Credentials"
          hint="Secrets are write-only: they are kept encrypted and are never shown again."
        >
          {endpointMoved && (
            <MessageBar intent="warning">
              <MessageBarBody>
                {isLdap
                  ? 'The server, its TLS settings or the bind account changed, so the saved password will not be sent there: enter the bind password again.'
                  : 'The tenant, client, cloud endpoints or proxy changed, so the saved credential will not be sent there: enter it again.'}
              </MessageBarBody>
            </MessageBar>
          )}
          {keepsSecret && (
            <div className={styles.row}>
              <Badge appearance="tint" color="success" icon={<KeyRegular />}>
                {isLdap ? 'A password is saved' : 'A credential is saved'}
              </Badge>
            </div>
          )}
          {isLdap ? (
            <div className={styles.grid}>
              {text('connection.bindDn', isAd ? 'Bind user (UPN or DN)' : 'Bind DN', {
                required: true,
                placeholder: isAd ? 'svc-provision@example.com' : 'cn=provision,dc=example,dc=com',
              })}
              {secretField('bindPassword', 'Bind password')}
            </div>
          ) : (
            <>
              <Field label="Sign in with">
                <RadioGroup
                  layout="horizontal"
                  value={String(value('connection.credential'))}
                  onChange={(_, d) => set('connection.credential', d.value)}
                >
                  <Radio value="secret" label="Client secret" />
                  <Radio value="certificate" label="Certificate" />
                </RadioGroup>
              </Field>
              {value('connection.credential') === 'certificate' ? (
                <>
                  {area('connection.certificatePem', 'Public certificate (PEM)')}
                  {secretField('certificateKeyPem', 'Private key (PEM)', true)}
                </>
              ) : (
                secretField('clientSecret', 'Client secret')
              )}
            </>
          )}
        </Section>

        {isLdap && (
          <Section
            id="scope"
            title="Scope"
            hint="Which entries are read on import. Leave a search base empty to use the base DN."
          >
            {text('connection.baseDn', 'Base DN', {
              required: true,
              placeholder: isAd ? 'DC=example,DC=com' : 'dc=example,dc=com',
            })}
            <div className={styles.grid}>
              {text('connection.userSearchBase', 'User search base', {
                placeholder: isAd ? 'OU=Staff,DC=example,DC=com' : 'ou=people,dc=example,dc=com',
              })}
              {text('connection.userFilter', 'User filter', {
                placeholder: isAd ? '(&(objectCategory=person)(objectClass=user))' : '(objectClass=inetOrgPerson)',
              })}
              {text('connection.groupSearchBase', 'Group search base')}
              {text('connection.groupFilter', 'Group filter', {
                placeholder: isAd ? '(objectClass=group)' : '(objectClass=groupOfNames)',
              })}
            </div>
            <Field label="Search depth">
              <RadioGroup
                layout="horizontal"
                value={String(value('connection.scope'))}
                onChange={(_, d) => set('connection.scope', d.value)}
              >
                <Radio value="sub" label="The base and everything below it" />
                <Radio value="one" label="Only entries directly under the base" />
              </RadioGroup>
            </Field>
            {area('connection.exclusions', 'Leave out these DNs (and everything below them)', { lines: true, rows: 2 })}
            {text('connection.pageSize', 'Page size', {
              type: 'number',
              hint: 'Entries per page when reading (paged results).',
            })}
          </Section>
        )}

        <Section id="placement" title="Where new objects go">
          {isLdap ? (
            <>
              <div className={styles.grid}>
                {text('connection.userTargetOu', 'Container for new users', {
                  placeholder: isAd ? 'OU=Staff,DC=example,DC=com' : 'ou=people,dc=example,dc=com',
                })}
                {text('connection.groupTargetOu', 'Container for new groups')}
                {text('connection.userRdnTemplate', 'Name of a new user entry', {
                  placeholder: isAd ? 'cn={displayName}' : 'uid={userName}',
                  hint: 'Placeholders in braces: {userName}, {displayName}.',
                })}
                {text('connection.groupRdnTemplate', 'Name of a new group entry', { placeholder: 'cn={displayName}' })}
              </div>
              {isAd && text('connection.upnSuffix', 'UPN suffix for new users', { placeholder: 'example.com' })}
            </>
          ) : (
            <div className={styles.grid}>
              {text('connection.upnDomain', 'Domain for new users (UPN)', { placeholder: 'contoso.onmicrosoft.com' })}
              {text('connection.mailFrom', 'Send activation mail from (mailbox)', {
                placeholder: 'it-desk@contoso.com',
              })}
            </div>
          )}
        </Section>

        <Section
          id="mapping"
          title="Attribute mapping"
          hint={
            mappingEdited.users || mappingEdited.groups
              ? undefined
              : 'These are the defaults for this kind of directory; edit any row to make your own.'
          }
        >
          <Text weight="semibold">Users</Text>
          <MappingTable
            label="User mapping"
            rows={userRows}
            usingDefaults={!mappingEdited.users}
            remotePlaceholder={isAd ? 'sAMAccountName' : isLdap ? 'uid' : 'userPrincipalName'}
            engineRow={engineActiveRow(form, userRows)}
            onChange={(rows) => {
              setMappingEdited((m) => ({ ...m, users: true }));
              set('userMapping', rows);
            }}
            onReset={() => {
              setMappingEdited((m) => ({ ...m, users: false }));
              set('userMapping', []);
            }}
          />
          <Text weight="semibold">Groups</Text>
          <MappingTable
            label="Group mapping"
            rows={groupRows}
            usingDefaults={!mappingEdited.groups}
            remotePlaceholder="cn"
            onChange={(rows) => {
              setMappingEdited((m) => ({ ...m, groups: true }));
              set('groupMapping', rows);
            }}
            onReset={() => {
              setMappingEdited((m) => ({ ...m, groups: false }));
              set('groupMapping', []);
            }}
          />
          {errorUnder('userMapping') && <Text className={styles.hint}>{errorUnder('userMapping')}</Text>}
        </Section>

        <Section
          id="matching"
          title="Matching rules"
          hint="How an entry in the directory is matched to a user already in Provision Desk, tried in this order."
        >
          <ol className={styles.matchList} aria-label="Matching rules in order">
            {matching.map((m, i) => (
              <li key={m}>
                <span className={styles.matchItem}>
                  <Text style={{ minWidth: 140 }}>{matchingLabels[m]}</Text>
                  <Button
                    size="small"
                    appearance="subtle"
                    icon={<ArrowUpRegular />}
                    aria-label={`Move ${matchingLabels[m]} up`}
                    disabled={i === 0}
                    onClick={() => moveMatch(i, -1)}
                  />
                  <Button
                    size="small"
                    appearance="subtle"
                    icon={<ArrowDownRegular />}
                    aria-label={`Move ${matchingLabels[m]} down`}
                    disabled={i === matching.length - 1}
                    onClick={() => moveMatch(i, 1)}
                  />
                  <Button
                    size="small"
                    appearance="subtle"
                    icon={<DeleteRegular />}
                    aria-label={`Remove ${matchingLabels[m]}`}
                    onClick={() =>
                      set(
                        'matching',
                        matching.filter((x) => x !== m),
                      )
                    }
                  />
                </span>
              </li>
            ))}
          </ol>
          {matching.length === 0 && (
            <Text className={styles.hint}>No rule: entries are only matched when already linked.</Text>
          )}
          {unusedMatching.length > 0 && (
            <div className={styles.row}>
              {unusedMatching.map((m) => (
                <Button key={m} size="small" icon={<AddRegular />} onClick={() => set('matching', [...matching, m])}>
                  Match on {matchingLabels[m].toLowerCase()}
                </Button>
              ))}
            </div>
          )}
        </Section>

        <Section
          id="provisioning"
          title="Provisioning"
          hint="What Provision Desk may do in this directory. Everything is off until you switch it on."
        >
          <div className={styles.toggles}>
            <fieldset className={styles.toggleGroup}>
              <legend className={styles.legend}>Users</legend>
              {toggle('toggles.users.import', 'Import users')}
              {toggle('toggles.users.create', 'Create users')}
              {toggle('toggles.users.edit', 'Edit users')}
              {toggle('toggles.users.delete', 'Delete users (disable or delete)')}
              {value('toggles.users.delete') === true && (
                <Field label="When a user is deleted in Provision Desk">
                  <Select
                    value={String(value('safety.deprovision'))}
                    onChange={(_, d) => set('safety.deprovision', d.value)}
                  >
                    <option value="disable">Disable the account in the directory</option>
                    <option value="delete">Delete the account from the directory</option>
                  </Select>
                </Field>
              )}
              {toggle('toggles.users.passwordSync', 'Password Sync')}
              {form.kind === 'ldap' && value('toggles.users.create') === true && (
                <>
                  <Field
                    label="A disabled user, where this directory cannot hold a disabled account"
                    hint="Without the password policy overlay (ppolicy) OpenLDAP has no disabled state; Verify says whether it is loaded."
                  >
                    <Select
                      value={String(value('disabledUsers.whereNotWritable') ?? 'notCreated')}
                      onChange={(_, d) =>
                        set('disabledUsers', {
                          lockAttribute: '',
                          ...form.disabledUsers,
                          whereNotWritable: d.value,
                        })
                      }
                    >
                      <option value="notCreated">Is not created (recorded as skipped, with the reason)</option>
                      <option value="createdLocked">Is created, locked through an attribute</option>
                    </Select>
                  </Field>
                  {value('disabledUsers.whereNotWritable') === 'createdLocked' &&
                    text('disabledUsers.lockAttribute', 'Lock attribute (written as "active" is)', {
                      placeholder: 'pwdAccountLockedTime',
                    })}
                </>
              )}
            </fieldset>
            <fieldset className={styles.toggleGroup}>
              <legend className={styles.legend}>Groups</legend>
              {toggle('toggles.groups.import', 'Import groups')}
              {toggle('toggles.groups.create', 'Create groups')}
              {toggle('toggles.groups.delete', 'Delete groups')}
              {toggle('toggles.groups.membership', 'Add/Remove membership')}
            </fieldset>
          </div>
        </Section>

        <Section
          id="safety"
          title="Deletion threshold"
          hint="A run that would delete or disable more than this stops and asks you first. Disables count too."
        >
          <div className={styles.grid}>
            {text('safety.deleteThresholdCount', 'Stop above this many objects', { type: 'number' })}
            {text('safety.deleteThresholdPercent', 'Or above this percentage of linked objects', { type: 'number' })}
          </div>
        </Section>

        <Section
          id="schedule"
          title="Schedule"
          hint="Imports on its own while the app runs, or from provision-desk sync."
        >
          <ScheduleFields value={value} set={set} err={err} errorUnder={errorUnder} />
        </Section>

        <Section
          id="verify"
          title="Verify Credentials"
          hint="Checks the settings above as they are now, without saving them."
        >
          <div className={styles.row}>
            <Button icon={<PlugConnectedRegular />} onClick={() => void runVerify()} disabled={busy !== undefined}>
              Verify Credentials
            </Button>
            {busy === 'verify' && <Spinner size="tiny" label="Contacting the directory…" />}
          </div>
          {verify && <VerifyResultView result={verify} />}
        </Section>

        <div className={styles.footer}>
          <Button type="submit" appearance="primary" icon={<SaveRegular />} disabled={busy !== undefined}>
            {id ? 'Save changes' : 'Add directory'}
          </Button>
          <Button onClick={props.onClose}>Close</Button>
          {Object.keys(errors).length > 0 && (
            <Text role="alert" style={{ color: tokens.colorPaletteRedForeground1, alignSelf: 'center' }}>
              Some fields need attention.
            </Text>
          )}
        </div>
      </form>
    </div>
  );
}

export type { DirectoryConfig };
