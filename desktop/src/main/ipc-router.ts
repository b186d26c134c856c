// Every invoke from a renderer goes through here, in this order: the sender is checked (our
// window, its main frame, our origin), the payload is validated against the contract's zod schema
// (parseRequest), then the channel's handler runs. The answer is always an IpcReply value:
// errors become {code, message} (no stack, nothing internal), never a thrown Error.
import { INVOKE, IpcPayloadError, parseRequest, type InvokeChannel, type IpcErrorCode, type IpcReply, type REQUEST_SCHEMAS } from '../shared/ipc.ts';
import type { z } from 'zod';
import { CoreError } from '../core/herald-core.ts';
import { SettingsError } from '../core/settings/settings-store.ts';
import { SoundFileError } from '../core/sounds/user-sounds.ts';
import { WebmailUrlError } from '../core/webmail/webmail-url.ts';
import { checkSender, type SenderInfo, type SenderPolicy } from './sender-check.ts';

export type RequestOf<C extends InvokeChannel> = z.infer<(typeof REQUEST_SCHEMAS)[C]>;
export type Handlers = { [C in InvokeChannel]: (payload: RequestOf<C>, sender: SenderInfo) => unknown };

/** An error a handler throws on purpose, with the code the renderer sees. */
export class IpcError extends Error {
  override name = 'IpcError';
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function toIpcError(e: unknown): { code: IpcErrorCode; message: string } {
  if (e instanceof IpcError) return { code: e.code, message: e.message };
  if (e instanceof IpcPayloadError) return { code: 'bad_request', message: e.message };
  if (e instanceof CoreError) return { code: e.code === 'busy' ? 'internal' : e.code, message: e.message };
  if (e instanceof SettingsError) return { code: 'settings_invalid', message: e.message };
  if (e instanceof SoundFileError) return { code: 'bad_request', message: e.message };
  if (e instanceof WebmailUrlError) return { code: 'webmail_unavailable', message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

export interface IpcRouterDeps {
  handlers: Handlers;
  sender: SenderPolicy;
  /** Told about refused senders and internal errors (the app's log). */
  log?: (message: string) => void;
}

export function createIpcRouter(d: IpcRouterDeps) {
  const channels = new Set<string>(Object.values(INVOKE));
  return async function handle(channel: string, payload: unknown, sender: SenderInfo): Promise<IpcReply> {
    const refused = checkSender(sender, d.sender);
    if (refused) {
      d.log?.(`IPC ${channel.slice(0, 80)} refused: ${refused}`);
      return { ok: false, error: { code: 'forbidden', message: refused } };
    }
    if (!channels.has(channel)) return { ok: false, error: { code: 'bad_request', message: `unknown channel ${JSON.stringify(channel.slice(0, 80))}` } };
    try {
      const c = channel as InvokeChannel;
      const req = parseRequest(c, payload);
      const handler = d.handlers[c] as (p: unknown, s: SenderInfo) => unknown;
      const value = await handler(req, sender);
      return { ok: true, value: value === undefined ? null : value };
    } catch (e) {
      const err = toIpcError(e);
      if (err.code === 'internal') d.log?.(`IPC ${channel} failed: ${err.message}`);
      return { ok: false, error: err };
    }
  };
}
export type IpcRouter = ReturnType<typeof createIpcRouter>;
