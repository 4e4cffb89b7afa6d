// One union of error codes for main, the command line and the renderer: a code
// outside it does not type-check (`npm run typecheck` checks the expected type
// errors below), and what crosses the bridge keeps its code.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { AppError, toBridgeError } from '../../src-main/errors.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import { appErrorCodes, connectorErrorCodes, type BridgeError, type ErrorCode } from '../../src-preload/contract.ts';

describe('error codes', () => {
  it('the bridge, AppError and ConnectorError all speak the one union', () => {
    expectTypeOf<BridgeError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<AppError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<ConnectorError['code']>().toExtend<ErrorCode>();
    // @ts-expect-error a misspelt code is a type error
    expect(new AppError('not_fonud', 'x').code).toBe('not_fonud');
    // @ts-expect-error so is comparing with one
    expect(toBridgeError(new AppError('conflict', 'x')).code === 'conflicts').toBe(false);
  });

  it('each list names a code once', () => {
    expect(new Set(appErrorCodes).size).toBe(appErrorCodes.length);
    expect(new Set(connectorErrorCodes).size).toBe(connectorErrorCodes.length);
  });

  it('an app error and a connector error cross the bridge with their own code', () => {
    expect(toBridgeError(new AppError('stale_plan', 'Preview again.', { runId: 'r' }))).toEqual({
      code: 'stale_plan',
      message: 'Preview again.',
      details: { runId: 'r' },
    });
    const refused = new ConnectorError('password_policy', 'The directory refused the password.', { details: 'x' });
    expect(toBridgeError(refused)).toEqual({ code: 'password_policy', message: refused.message, details: 'x' });
    expect(toBridgeError(new Error('boom')).code).toBe('internal');
  });
});
