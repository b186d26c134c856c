// The renderer's only way out: window.herald, the DesktopApi that the preload (Electron) or the
// preview bridge (browser) exposes. Errors arrive as {code, message}.
import type { DesktopApi } from '../shared/ipc.ts';

declare global {
  interface Window {
    herald?: DesktopApi;
  }
}

export function api(): DesktopApi {
  const h = window.herald;
  if (!h) throw new Error('window.herald is missing: the renderer runs only inside Herald (or its preview)');
  return h;
}

export const errorMessage = (e: unknown): string =>
  typeof e === 'object' && e !== null && 'message' in e ? String((e as { message: unknown }).message) : String(e);

export const errorCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
