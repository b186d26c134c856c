// Second factor for the admin console: time-based one-time passwords (RFC 6238, TOTP) — HMAC-SHA1,
// 6 digits, 30-second steps, the parameters every authenticator app assumes (Google Authenticator
// ignores others). A code is accepted for the current step and one step either side (RFC 6238 §5.2
// allows "at most one time step" of clock drift), and each step only once (§5.2: the verifier
// "MUST NOT accept the second attempt of the same OTP"): a code seen over someone's shoulder is
// spent. The secret is 160 random bits (RFC 4226 §4 R6).
import { createRequire } from 'node:module';
import type * as OTPAuthModule from 'otpauth';
import { HeraldError } from '../protocol/errors.ts';
import type { AdminTotpStore } from '../store/admin-totp.ts';

// otpauth is loaded on first use, not when the gateway starts: most gateways never see a second
// factor, and every module loaded at start stays in the resident memory (issue 12: RSS at rest).
// Its CommonJS build, so that the functions below stay synchronous.
let otpauth: typeof OTPAuthModule | undefined;
const OTPAuth = () => (otpauth ??= createRequire(import.meta.url)('otpauth') as typeof OTPAuthModule);

export const TOTP_PERIOD_S = 30;
/** Steps either side of now a code may be for (RFC 6238 §5.2). */
export const TOTP_WINDOW = 1;

const totpOf = (secretBase32: string, label = 'admin') =>
  new (OTPAuth().TOTP)({ issuer: 'Herald', label, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S, secret: OTPAuth().Secret.fromBase32(secretBase32) });

/** A fresh secret (base32) and the otpauth:// URI an authenticator app reads from the QR code. */
export function newTotpSecret(label: string): { secret: string; uri: string } {
  const secret = new (OTPAuth().Secret)({ size: 20 }).base32;
  return { secret, uri: totpOf(secret, label).toString() };
}

/** The time step `code` is valid for (within TOTP_WINDOW of `now`), or undefined. */
export function totpStep(secretBase32: string, code: string, now = Date.now()): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totpOf(secretBase32).validate({ token, timestamp: now, window: TOTP_WINDOW });
  return delta === null ? undefined : Math.floor(now / 1000 / TOTP_PERIOD_S) + delta;
}

/** The code for `now` (tests, and nothing else, need to make one). */
export function totpCode(secretBase32: string, now = Date.now()): string {
  return totpOf(secretBase32).generate({ timestamp: now });
}

export function createTotp({ store, now = Date.now }: { store: AdminTotpStore; now?: () => number }) {
  return {
    enrolled: (accountId: number) => store.enrolled(accountId),
    /** Enrollment takes effect only with a first right code for the new secret. */
    confirm(accountId: number, secret: string, code: string): void {
      const step = totpStep(secret, code, now());
      if (step === undefined) throw new HeraldError('bad_request', 'that code does not match: check the time on the phone and enter the current code');
      store.set(accountId, secret, step);
    },
    /** True when `code` is right for the account's secret and its step was not used before. */
    verify(accountId: number, code: string): boolean {
      const row = store.get(accountId);
      if (!row) return false;
      const step = totpStep(row.secret, code, now());
      return step !== undefined && store.use(accountId, step);
    },
    remove: (accountId: number) => store.remove(accountId),
  };
}
export type Totp = ReturnType<typeof createTotp>;
