// Mutated stanzas after login over TCP (test/fuzz/stanzas.ts). Each case is followed by a ping of
// the fuzzing session itself: either the session still answers (any error for the mutated stanza
// was a stanza error) or the server ended the stream with a stream error (RFC 6120 §4.9) — never
// a silent close, never a hang, never <internal-server-error/>. After every batch the process and
// the witness (another user's session) must be alive; a session ended by a stream error is
// replaced by a new login.
import type { Element } from 'ltx';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';
import type { Rng } from './prng.ts';
import { mutateStanza, type StanzaContext } from './stanzas.ts';
import { count, DOMAIN, newTally, type FuzzTarget, type Tally } from './target.ts';

export const contextFor = (t: FuzzTarget, full: string): StanzaContext => ({
  bare: t.users[0].address,
  full,
  other: t.users[1].address,
  domain: DOMAIN,
  room: `fuzzroom@conference.${DOMAIN}`,
});

/** The first stanza-level error condition in an element (or its <error/> child). */
export const conditionOf = (e: Element) => e.getChild('error')?.getChildElements()[0]?.name ?? e.getChildElements()[0]?.name ?? '?';

/**
 * Whether the session answered the probe iq, closed, or neither within 8 s. Not RawClient.next():
 * its timer cannot be cancelled when the stream closes first, and would hold the process open.
 */
function probeAnswer(c: RawClient, id: string, isEnded: () => boolean): Promise<'alive' | 'closed' | 'hung'> {
  const deadline = Date.now() + 8000;
  return new Promise((resolve) => {
    const check = () => {
      if (c.received.some((e) => e.name === 'iq' && e.attrs.id === id)) return resolve('alive');
      if (isEnded()) return resolve('closed');
      if (Date.now() > deadline) return resolve('hung');
      setTimeout(check, 2);
    };
    check();
  });
}

export interface StanzaFuzzOptions {
  rng: Rng;
  cases: number;
  until?: number;
  batch?: number;
}

export async function fuzzXmpp(t: FuzzTarget, o: StanzaFuzzOptions): Promise<{ tally: Tally; failures: string[] }> {
  const tally = newTally('xmpp');
  const failures: string[] = [];
  const user = t.users[0];
  const connect = async () => login(t.xmppPort, user.address, user.token, 'fuzz');
  let c: RawClient & { jid: string } = await connect();
  let ended = false;
  c.closed.then(() => (ended = true)).catch(() => undefined);
  const batchNotes: string[] = [];
  for (let i = 0; i < o.cases && !(o.until && Date.now() > o.until); i++) {
    const { xml, note } = mutateStanza(o.rng, contextFor(t, c.jid));
    batchNotes.push(`#${i} ${note}`);
    const seen = c.received.length;
    c.send(xml);
    const probe = `probe-${i}`;
    c.send(`<iq type='get' id='${probe}' to='${DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const answer = await probeAnswer(c, probe, () => ended);
    tally.cases++;
    const fresh = c.received.slice(seen);
    for (const e of fresh) {
      if (e.attrs.type === 'error' || e.name === 'stream:error') {
        const cond = conditionOf(e);
        count(tally, `${e.name === 'stream:error' ? 'stream' : e.name}:${cond}`);
        if (process.env.FUZZ_DEBUG) console.log(`#${i} ${note} → ${e.toString().slice(0, 300)}`);
        if (cond === 'internal-server-error') {
          tally.serverErrors++;
          failures.push(`#${i} ${note} → ${e.toString().slice(0, 300)}\n  sent: ${xml.slice(0, 400)}`);
        }
      }
    }
    if (answer === 'hung') failures.push(`#${i} ${note} → the session answered nothing for 8 s\n  sent: ${xml.slice(0, 400)}`);
    if (answer === 'closed' || ended) {
      if (!fresh.some((e) => e.name === 'stream:error') && !c.received.slice(seen).some((e) => e.name === 'stream:error')) {
        failures.push(`#${i} ${note} → the stream closed without a stream error\n  sent: ${xml.slice(0, 400)}`);
      }
      count(tally, 'session ended');
    } else count(tally, 'session alive');
    const last = i === o.cases - 1 || Boolean(o.until && Date.now() > o.until);
    if (answer !== 'alive' || (i + 1) % (o.batch ?? 25) === 0 || last) {
      try {
        await t.alive(`xmpp batch ending #${i}:\n  ${batchNotes.join('\n  ')}`);
      } catch (e) {
        tally.crashes++;
        failures.push((e as Error).message);
        break;
      }
      batchNotes.length = 0;
      if (answer !== 'alive') {
        c.kill();
        c = await connect();
        ended = false;
        c.closed.then(() => (ended = true)).catch(() => undefined);
      }
    }
  }
  c.kill();
  return { tally, failures };
}

/** An HTTP File Upload slot of the fuzzing user (XEP-0363 §4), for the /upload routes. */
export async function requestSlot(t: FuzzTarget, size = 16): Promise<{ id: string; name: string }> {
  const c = await login(t.xmppPort, t.users[0].address, t.users[0].spare.at(-1)!, 'slot');
  c.send(`<iq type='get' id='slot' to='upload.${DOMAIN}'><request xmlns='urn:xmpp:http:upload:0' filename='fuzz.txt' size='${size}' content-type='text/plain'/></iq>`);
  const r = await c.next((e) => e.name === 'iq' && e.attrs.id === 'slot');
  c.kill();
  const put = r.getChild('slot')?.getChild('put')?.attrs.url as string | undefined;
  const m = put && /\/upload\/([^/]+)\/([^/]+)$/.exec(put);
  if (!m) throw new Error(`no upload slot: ${r.toString()}`);
  return { id: m[1]!, name: decodeURIComponent(m[2]!) };
}
