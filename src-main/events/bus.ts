// Events pushed to whichever shell is attached (Electron window, browser
// mode SSE, CLI progress). Typed by the contract's event table.
import type { EventName, Events } from '../../src-preload/contract.ts';

type Listener = <E extends EventName>(name: E, payload: Events[E]) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  emit<E extends EventName>(name: E, payload: Events[E]): void {
    for (const l of this.listeners) {
      try {
        l(name, payload);
      } catch {
        // A broken listener must not break the operation that emitted.
      }
    }
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
