// Many events-socket clients in one process, each waiting for its user's `mail` events.
import WebSocket from 'ws';
import type { BenchUser } from './gateway-child.ts';

export interface Clients {
  /** Resolves with the receive time (performance.now()) of the next mail event for the user. */
  nextMail(address: string, timeoutMs?: number): Promise<number>;
  count(): number;
  close(): void;
}

export async function connectClients(url: string, users: BenchUser[], existing?: Clients & { add(u: BenchUser[]): Promise<void> }) {
  const sockets = new Map<string, WebSocket>();
  const waiting = new Map<string, (t: number) => void>();
  const connectOne = (u: BenchUser) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/events?access_token=${u.token}`, { perMessageDeflate: false });
      const timer = setTimeout(() => reject(new Error(`no initial folders for ${u.address}`)), 60_000);
      ws.on('message', (data) => {
        const now = performance.now();
        const text = String(data);
        if (text.startsWith('{"type":"folders"')) {
          clearTimeout(timer);
          resolve();
        } else if (text.startsWith('{"type":"mail"')) {
          const w = waiting.get(u.address);
          if (w) {
            waiting.delete(u.address);
            w(now);
          }
        } else if (text.startsWith('{"type":"status"') && text.includes('unavailable')) {
          clearTimeout(timer);
          reject(new Error(`${u.address}: ${text}`));
        }
      });
      ws.on('error', reject);
      sockets.set(u.address, ws);
    });
  const add = async (more: BenchUser[]) => {
    for (let i = 0; i < more.length; i += 50) await Promise.all(more.slice(i, i + 50).map(connectOne));
  };
  void existing;
  await add(users);
  return {
    add,
    nextMail(address: string, timeoutMs = 10_000) {
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(address);
          reject(new Error(`no mail event for ${address} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(address, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
    count: () => sockets.size,
    close() {
      for (const ws of sockets.values()) ws.terminate();
    },
  };
}
