// The renderer's typed client for the bridge. In the Electron window it uses
// the preload's window.api; in browser mode the same calls go over loopback
// HTTP (same origin, session cookie) and events arrive by Server-Sent Events.
import type {
  BridgeError,
  ChannelName,
  EventName,
  Events,
  InputOf,
  OutputOf,
  Result,
} from '../src-preload/contract.ts';

interface WindowApi {
  invoke(channel: string, input: unknown): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    api?: WindowApi;
  }
}

/** A failed call: carries the bridge error (code, admin message, server details). */
export class BridgeFailure extends Error {
  readonly error: BridgeError;
  constructor(error: BridgeError) {
    super(error.message);
    this.error = error;
  }
}

async function httpInvoke(channel: string, input: unknown): Promise<unknown> {
  const res = await fetch('/api/invoke', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel, input }),
    credentials: 'same-origin',
  });
  if (res.status === 401)
    return {
      ok: false,
      error: {
        code: 'unauthorized',
        message: 'This browser session has ended. Open the link Provision Desk printed when it started.',
      },
    };
  return res.json();
}

type Listener = (payload: unknown) => void;
const httpListeners = new Map<string, Set<Listener>>();
let source: EventSource | undefined;
function httpOn(event: string, listener: Listener): () => void {
  if (!source) {
    source = new EventSource('/api/events');
    source.onmessage = (m) => {
      const { name, payload } = JSON.parse(m.data) as { name: string; payload: unknown };
      for (const l of httpListeners.get(name) ?? []) l(payload);
    };
  }
  let set = httpListeners.get(event);
  if (!set) httpListeners.set(event, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

export async function call<C extends ChannelName>(channel: C, input: InputOf<C>): Promise<OutputOf<C>> {
  const result = (await (window.api ? window.api.invoke(channel, input) : httpInvoke(channel, input))) as Result<
    OutputOf<C>
  >;
  if (!result.ok) throw new BridgeFailure(result.error);
  return result.value;
}

export function on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
  return window.api ? window.api.on(event, listener as Listener) : httpOn(event, listener as Listener);
}

/** Where a download (CSV export) can be fetched in browser mode. */
export const isBrowserMode = () => !window.api;
