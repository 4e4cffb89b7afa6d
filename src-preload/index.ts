// The preload: the only door between the sandboxed renderer and the main
// process. It exposes `window.api` with invoke/on for the contract's listed
// channels and events only; everything else is refused here and again in main.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channelNames, eventNames } from './contract/index.ts';

const channels = new Set<string>(channelNames);
const events = new Set<string>(eventNames);

const api = {
  invoke(channel: string, input: unknown): Promise<unknown> {
    if (!channels.has(channel))
      return Promise.resolve({
        ok: false,
        error: { code: 'unknown_channel', message: 'That request is not part of Provision Desk.' },
      });
    return ipcRenderer.invoke('pd:invoke', channel, input);
  },
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!events.has(event)) throw new Error(`Unknown event ${event}`);
    const wrapped = (_e: IpcRendererEvent, msg: { name: string; payload: unknown }) => {
      if (msg.name === event) listener(msg.payload);
    };
    ipcRenderer.on('pd:event', wrapped);
    return () => ipcRenderer.removeListener('pd:event', wrapped);
  },
};

contextBridge.exposeInMainWorld('api', api);
