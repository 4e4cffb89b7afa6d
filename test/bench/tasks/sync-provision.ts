// Provisioning of new users through the outbox, in its own process.
import { provisionCreatesAt } from '../sync-app.ts';
import type { UserInput } from '../../../src-preload/model.ts';

/** The users the provisioning bench creates (and ldapadd adds as the reference). */
export function benchUsers(count: number): UserInput[] {
  return Array.from({ length: count }, (_, i) => ({
    userName: `bench.user${i}`,
    name: { givenName: 'Bench', familyName: `User ${i}` },
    displayName: `Bench User ${i}`,
    emails: [{ value: `bench.user${i}@example.test`, primary: true }],
    phoneNumbers: [],
    title: 'Engineer',
    active: true,
  }));
}

export async function run(args: { dataDir: string; count: number }) {
  return provisionCreatesAt(args.dataDir, benchUsers(args.count));
}
