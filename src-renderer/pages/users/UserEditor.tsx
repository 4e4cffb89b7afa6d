// Add or edit one user. Field errors come back from main's validation and
// are shown beside their fields.
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Switch,
  makeStyles,
} from '@fluentui/react-components';
import { useState } from 'react';
import type { User, UserInput } from '../../../src-preload/contract.ts';
import { BridgeFailure, call } from '../../api.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '12px 16px' },
});

interface Form {
  userName: string;
  givenName: string;
  familyName: string;
  displayName: string;
  email: string;
  phone: string;
  title: string;
  department: string;
  employeeNumber: string;
  active: boolean;
}

const toForm = (u?: User): Form => ({
  userName: u?.userName ?? '',
  givenName: u?.name.givenName ?? '',
  familyName: u?.name.familyName ?? '',
  displayName: u?.displayName ?? '',
  email: (u?.emails.find((e) => e.primary) ?? u?.emails[0])?.value ?? '',
  phone: u?.phoneNumbers[0]?.value ?? '',
  title: u?.title ?? '',
  department: u?.department ?? '',
  employeeNumber: u?.employeeNumber ?? '',
  active: u?.active ?? true,
});

const opt = (s: string) => (s.trim() === '' ? undefined : s);

function toInput(f: Form, base?: User): UserInput {
  const otherEmails = (base?.emails ?? []).filter((e) => !e.primary && e !== base?.emails[0]);
  return {
    userName: f.userName,
    name: { givenName: opt(f.givenName), familyName: opt(f.familyName) },
    displayName: opt(f.displayName) ?? (opt([f.givenName, f.familyName].filter(Boolean).join(' ')) || undefined),
    emails: f.email.trim() ? [{ value: f.email.trim(), type: 'work', primary: true }, ...otherEmails] : otherEmails,
    phoneNumbers: f.phone.trim() ? [{ value: f.phone.trim(), type: 'work' }] : [],
    title: opt(f.title),
    department: opt(f.department),
    employeeNumber: opt(f.employeeNumber),
    managerId: base?.managerId,
    active: f.active,
  };
}

export function UserEditor(props: { user?: User; onClose: (saved?: User) => void }) {
  const styles = useStyles();
  const [form, setForm] = useState<Form>(() => toForm(props.user));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const set = (k: keyof Form) => (_: unknown, d: { value?: string; checked?: boolean }) =>
    setForm((f) => ({ ...f, [k]: d.checked ?? d.value ?? '' }));

  const save = async () => {
    setBusy(true);
    setErrors({});
    try {
      const input = toInput(form, props.user);
      const saved = props.user
        ? await call('users.update', { id: props.user.id, user: input, expectedVersion: props.user.meta.version })
        : await call('users.create', { user: input });
      notifySuccess(props.user ? `Saved ${saved.userName}.` : `Added ${saved.userName}.`);
      props.onClose(saved);
    } catch (err) {
      const fieldErrors = fieldsOf(err);
      if (Object.keys(fieldErrors).length) setErrors(fieldErrors);
      else notifyError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: keyof Form, label: string, errorKey: string = k, required = false) => (
    <Field
      label={label}
      required={required}
      validationMessage={errors[errorKey]}
      validationState={errors[errorKey] ? 'error' : 'none'}
    >
      <Input value={form[k] as string} onChange={set(k)} name={k} />
    </Field>
  );

  return (
    <Dialog open onOpenChange={(_, d) => !d.open && props.onClose()}>
      <DialogSurface aria-describedby={undefined}>
        <DialogBody>
          <DialogTitle>{props.user ? `Edit ${props.user.userName}` : 'Add user'}</DialogTitle>
          <DialogContent>
            <form
              className={styles.grid}
              onSubmit={(e) => {
                e.preventDefault();
                void save();
              }}
            >
              {field('userName', 'User name', 'userName', true)}
              {field('displayName', 'Display name')}
              {field('givenName', 'First name', 'name.givenName')}
              {field('familyName', 'Last name', 'name.familyName')}
              {field('email', 'E-mail', 'emails.0.value')}
              {field('phone', 'Phone', 'phoneNumbers.0.value')}
              {field('title', 'Job title')}
              {field('department', 'Department')}
              {field('employeeNumber', 'Employee number')}
              <Switch label="Account enabled" checked={form.active} onChange={set('active')} />
              <button type="submit" hidden />
            </form>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => props.onClose()}>Cancel</Button>
            <Button appearance="primary" onClick={() => void save()} disabled={busy}>
              {props.user ? 'Save' : 'Add user'}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

/** Maps main's validation issues (path → message) to form fields. */
function fieldsOf(err: unknown): Record<string, string> {
  if (!(err instanceof BridgeFailure)) return {};
  const d = err.error.details as
    { fields?: Array<{ path: string | Array<string | number>; message: string }>; field?: string } | undefined;
  const out: Record<string, string> = {};
  if (d?.field) out[d.field] = err.error.message;
  for (const f of d?.fields ?? []) {
    const path = (Array.isArray(f.path) ? f.path.join('.') : f.path).replace(/^user\./, '');
    out[path] = f.message;
  }
  return out;
}
