// Long operations (preview, bulk mail, export) register here so the admin
// can cancel them from any shell by id.
import { randomUUID } from 'node:crypto';

export class Operations {
  private readonly running = new Map<string, AbortController>();

  start(): { id: string; signal: AbortSignal; done: () => void } {
    const id = randomUUID();
    const ctl = new AbortController();
    this.running.set(id, ctl);
    return { id, signal: ctl.signal, done: () => this.running.delete(id) };
  }

  cancel(id: string): boolean {
    const ctl = this.running.get(id);
    if (!ctl) return false;
    ctl.abort(new Error('Cancelled by the admin'));
    this.running.delete(id);
    return true;
  }
}
