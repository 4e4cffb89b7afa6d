// Maps main's validation issues (path → message) to form field keys.
import { BridgeFailure } from '../api.ts';

export function fieldErrors(err: unknown, stripPrefix = ''): Record<string, string> {
  if (!(err instanceof BridgeFailure)) return {};
  const d = err.error.details as
    { fields?: Array<{ path: string | Array<string | number>; message: string }>; field?: string } | undefined;
  const out: Record<string, string> = {};
  if (d?.field) out[d.field] = err.error.message;
  for (const f of d?.fields ?? []) {
    let path = Array.isArray(f.path) ? f.path.join('.') : f.path;
    if (stripPrefix && path.startsWith(stripPrefix)) path = path.slice(stripPrefix.length);
    out[path] = f.message;
  }
  return out;
}
