// Directories: each one's kind, last verification, last run and its
// provisioning work live (done / pending / failed, rate, time left); add (per
// kind), edit, delete.
import {
  Badge,
  Button,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Link,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { AddRegular, ArrowDownloadRegular, DeleteRegular, EditRegular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import {
  directoryKindLabel,
  directoryKinds,
  type DirectoryKind,
  type DirectoryProgress,
  type DirectoryView,
} from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { when } from '../../components/format.ts';
import { DirectoryProgressView, useProvisioningProgress } from '../../components/ProvisioningProgress.tsx';
import { useDirectories } from '../../store/directories.ts';
import { useImport } from '../../store/import.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';
import { useUi } from '../../store/ui.ts';
import { DirectoryEditor } from './DirectoryEditor.tsx';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', gap: '12px' },
  muted: { color: tokens.colorNeutralForeground3 },
  actions: { display: 'flex', gap: '4px' },
  empty: { padding: '24px 0' },
});

function runBadge(status: string) {
  const color = /fail|error/i.test(status)
    ? 'danger'
    : /stop|threshold|cancel/i.test(status)
      ? 'warning'
      : /commit|done|success|complete/i.test(status)
        ? 'success'
        : 'informative';
  return (
    <Badge appearance="tint" color={color}>
      {status}
    </Badge>
  );
}

/** The live figures once they arrive; the list's own counts until then. */
function ProgressCell(props: { d: DirectoryView; live?: DirectoryProgress }) {
  const { d, live } = props;
  return (
    <DirectoryProgressView
      d={live ?? { directoryId: d.id, name: d.config.name, done: 0, pending: d.pending, failed: d.failed }}
    />
  );
}

export function DirectoriesPage() {
  const styles = useStyles();
  const { list, loaded, load } = useDirectories();
  const [editing, setEditing] = useState<{ existing?: DirectoryView; kind: DirectoryKind } | undefined>();
  const [deleting, setDeleting] = useState<DirectoryView | undefined>();
  const go = useUi((s) => s.go);
  const progress = useProvisioningProgress();

  useEffect(() => {
    void load();
  }, [load]);

  if (editing)
    return (
      <DirectoryEditor
        key={editing.existing?.id ?? editing.kind}
        existing={editing.existing}
        kind={editing.kind}
        onClose={() => {
          setEditing(undefined);
          void load();
        }}
      />
    );

  const remove = async () => {
    if (!deleting) return;
    try {
      await call('directories.delete', { id: deleting.id });
      notifySuccess(`Removed ${deleting.config.name}.`);
      await load();
    } catch (err) {
      notifyError(err);
    } finally {
      setDeleting(undefined);
    }
  };

  return (
    <div className={styles.page}>
      <PageHeader title="Directories">
        <Menu>
          <MenuTrigger disableButtonEnhancement>
            <Button appearance="primary" icon={<AddRegular />}>
              Add directory
            </Button>
          </MenuTrigger>
          <MenuPopover>
            <MenuList>
              {directoryKinds.map((k) => (
                <MenuItem key={k} onClick={() => setEditing({ kind: k })}>
                  {directoryKindLabel[k]}
                </MenuItem>
              ))}
            </MenuList>
          </MenuPopover>
        </Menu>
      </PageHeader>
      {loaded && list.length === 0 ? (
        <Text className={styles.empty}>
          No directory yet. Add your Active Directory, an LDAP server or a Microsoft Entra ID tenant.
        </Text>
      ) : (
        <Table aria-label="Directories">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Kind</TableHeaderCell>
              <TableHeaderCell>Credentials</TableHeaderCell>
              <TableHeaderCell>Last run</TableHeaderCell>
              <TableHeaderCell style={{ width: '34%' }}>Provisioning</TableHeaderCell>
              <TableHeaderCell>Actions</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.map((d) => (
              <TableRow key={d.id}>
                <TableCell>
                  <Link onClick={() => setEditing({ existing: d, kind: d.config.kind })}>{d.config.name}</Link>
                </TableCell>
                <TableCell>{directoryKindLabel[d.config.kind]}</TableCell>
                <TableCell>
                  {d.lastVerify ? (
                    <span title={`${d.lastVerify.summary} (${when(d.lastVerify.at)})`}>
                      <Badge appearance="tint" color={d.lastVerify.ok ? 'success' : 'danger'}>
                        {d.lastVerify.ok ? 'Verified' : 'Failed'}
                      </Badge>{' '}
                      <Text size={200} className={styles.muted}>
                        {when(d.lastVerify.at)}
                      </Text>
                    </span>
                  ) : (
                    <Text className={styles.muted}>Not verified</Text>
                  )}
                </TableCell>
                <TableCell>
                  {d.lastRun ? (
                    <span>
                      {runBadge(d.lastRun.status)}{' '}
                      <Text size={200} className={styles.muted}>
                        {d.lastRun.kind} · {when(d.lastRun.at)}
                      </Text>
                    </span>
                  ) : (
                    <Text className={styles.muted}>Never run</Text>
                  )}
                </TableCell>
                <TableCell>
                  <ProgressCell d={d} live={progress?.find((p) => p.directoryId === d.id)} />
                </TableCell>
                <TableCell>
                  <span className={styles.actions}>
                    <Button
                      size="small"
                      icon={<EditRegular />}
                      aria-label={`Edit ${d.config.name}`}
                      onClick={() => setEditing({ existing: d, kind: d.config.kind })}
                    />
                    <Button
                      size="small"
                      icon={<ArrowDownloadRegular />}
                      aria-label={`Import from ${d.config.name}`}
                      onClick={() => {
                        useImport.getState().choose(d.id);
                        go('import');
                      }}
                    />
                    <Button
                      size="small"
                      icon={<DeleteRegular />}
                      aria-label={`Remove ${d.config.name}`}
                      onClick={() => setDeleting(d)}
                    />
                  </span>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <ConfirmDialog
        open={!!deleting}
        title={`Remove ${deleting?.config.name ?? ''}?`}
        confirmLabel="Remove directory"
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(undefined)}
      >
        Provision Desk forgets this directory, its saved credentials, its links and its pending work. Nothing is deleted
        in the directory itself, and users and groups stay in Provision Desk.
      </ConfirmDialog>
    </div>
  );
}
