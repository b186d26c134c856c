// Why a connection to the gateway failed, in words a user can act on: Node's error codes
// (ECONNREFUSED, ENOTFOUND, certificate codes …) mean nothing to the people who read them.
const WORDS: Record<string, string> = {
  ECONNREFUSED: 'nothing answers at that address — is the gateway running, and is the port right?',
  ENOTFOUND: 'that name is not known — check the gateway address',
  EAI_AGAIN: 'the name could not be looked up — check the network connection',
  ECONNRESET: 'the connection was cut off',
  ETIMEDOUT: 'no answer — the gateway or the network is not responding',
  EHOSTUNREACH: 'the network cannot reach that address',
  ENETUNREACH: 'there is no network connection',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed and not trusted by this computer — ask your administrator',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate is not trusted by this computer — ask your administrator',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate cannot be checked — ask your administrator',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate cannot be checked — ask your administrator',
  CERT_HAS_EXPIRED: 'its certificate has expired — ask your administrator',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate is for another name — check the gateway address',
  ERR_SSL_WRONG_VERSION_NUMBER: 'it does not speak HTTPS on that port — try http:// or another port',
};

/** Words for a failed fetch's cause (the `cause.code` Node's fetch gives), the code kept in brackets for the administrator. */
export function networkWords(cause: { code?: string; message?: string } | undefined, fallback: string): string {
  const code = cause?.code;
  if (code && WORDS[code]) return `${WORDS[code]} (${code})`;
  return code ?? cause?.message ?? fallback;
}
