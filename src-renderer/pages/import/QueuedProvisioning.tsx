// Under a committed import: the provisioning it queued for the other
// directories, live, so the admin sees the writes go out without leaving Import.
import { ProvisioningProgress, useProvisioningProgress } from '../../components/ProvisioningProgress.tsx';

export function QueuedProvisioning() {
  const list = useProvisioningProgress();
  if (!list) return null;
  return (
    <div style={{ marginTop: 8 }} role="region" aria-label="Queued provisioning">
      <ProvisioningProgress list={list} />
    </div>
  );
}
