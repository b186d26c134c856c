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

export function parseDomain(input: string): string {
  return parseAddress(`x@${input}`).domain;
}
