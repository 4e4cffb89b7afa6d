// The main side of the bridge: one entry for every shell. It checks the
// channel is in the contract and validates the input before any service
// runs; results and errors go back as data (docs/architecture.md, "The bridge").
import { contract, type ChannelName, type Result } from '../../src-preload/contract.ts';
import { AppError, toBridgeError } from '../errors.ts';
import type { App } from '../app.ts';
import { handlers } from './handlers/index.ts';

export async function dispatch(app: App, channel: unknown, input: unknown): Promise<Result<unknown>> {
  if (typeof channel !== 'string' || !Object.hasOwn(contract, channel)) {
    return { ok: false, error: { code: 'unknown_channel', message: 'That request is not part of Provision Desk.' } };
  }
  const name = channel as ChannelName;
  const parsed = contract[name].input.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'validation',
        message: 'Some fields are not valid.',
        details: { fields: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
      },
    };
  }
  try {
    const handler = handlers(app)[name] as (input: unknown) => unknown;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    const error = toBridgeError(err);
    if (!(err instanceof AppError) && error.code === 'internal') console.error(`[bridge] ${name} failed:`, err);
    return { ok: false, error };
  }
}
