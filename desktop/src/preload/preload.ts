// The preload script (sandboxed, contextIsolation on): exposes exactly the DesktopApi as
// `window.herald`. Bundled to one CommonJS file by desktop/tools/build-desktop.ts, since a
// sandboxed preload cannot load other files.
import { contextBridge, ipcRenderer } from 'electron';
import { exposeHerald } from './expose.ts';

exposeHerald({ contextBridge, ipcRenderer });
