// What the preload script does, with Electron's objects passed in (so a test can pass fakes):
// expose exactly the DesktopApi as `window.herald` through contextBridge, nothing more — no
// ipcRenderer, no generic invoke/send, no event objects.
import type { EventChannel, InvokeChannel } from '../shared/ipc.ts';
import { createDesktopApi } from './desktop-api.ts';

/** The slice of Electron's contextBridge and ipcRenderer the preload uses. */
export interface PreloadElectron {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  };
}

export function exposeHerald({ contextBridge, ipcRenderer }: PreloadElectron): void {
  const api = createDesktopApi({
    invoke: (channel: InvokeChannel, payload: unknown) => ipcRenderer.invoke(channel, payload),
    on(channel: EventChannel, listener: (payload: unknown) => void) {
      const handler = (_event: unknown, payload: unknown) => listener(payload);
      ipcRenderer.on(channel, handler);
      return () => {
        ipcRenderer.removeListener(channel, handler);
      };
    },
  });
  contextBridge.exposeInMainWorld('herald', api);
}
