// Parses `local@domain` addresses into their parts (lower-cased, validated once here).
import { AddressSchema } from '../protocol/api.ts';
import { HeraldError } from '../protocol/errors.ts';

export interface Address {
  address: string;
  local: string;
  domain: string;
}

export function parseAddress(input: string): Address {
  const r = AddressSchema.safeParse(input);
  if (!r.success) throw new HeraldError('bad_request', `"${input}" is not a valid address (expected local@domain)`);
  const at = r.data.lastIndexOf('@');
  return { address: r.data, local: r.data.slice(0, at), domain: r.data.slice(at + 1) };
}

// The domain part of AddressSchema (protocol/api.ts): letters, digits and inner hyphens, two labels or more.
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

export function parseDomain(input: string): string {
  const domain = input.trim().toLowerCase();
  // RFC 1035 §2.3.4: at most 253 characters as written, 63 per label.
  if (!DOMAIN.test(domain) || domain.length > 253 || domain.split('.').some((l) => l.length > 63)) {
    throw new HeraldError('bad_request', `"${input}" is not a valid domain name (expected a name like example.com)`);
  }
  return domain;
}
