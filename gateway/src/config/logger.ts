// The gateway's logger (pino): JSON lines for log shippers, readable lines on a terminal.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY;
  if (!pretty) return pino({ level });
  return pino({ level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } } });
}

/** A logger that drops everything, for tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
