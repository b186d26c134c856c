// Random WebSocket frames on both sockets. /api/v1/events: JSON events valid and mutated, garbage
// text, binary, oversize and fragmented messages, frames that break RFC 6455, ping and refresh
// storms. /xmpp-websocket (RFC 7395): mutated stanzas, garbage XML, stanzas split over or packed
// into frames, <open/> and <close/> out of place, binary and broken frames. After each case the
// socket either answers a probe or was closed by the server with a close code of its own (never
// 1011, never a hang); after every batch the process and the witness are alive.
import { plain } from '../fixtures/xmpp-raw.ts';
import { mutateJson, randomJson, type Rng } from './prng.ts';
import { mutateStanza } from './stanzas.ts';
import { count, DOMAIN, newTally, type FuzzTarget, type Tally } from './target.ts';
import { badFrame, openWs, type WsProbe } from './ws-client.ts';
import { contextFor } from './xmpp-fuzz.ts';

type Outcome = 'ok' | 'closed' | 'hung';

interface Surface {
  name: string;
  connect(): Promise<WsProbe & { jid?: string }>;
  /**
   * Sends one case; returns its description, or also `mayStall` when the frame leaves an element
   * open: the server parses frames as one stream (not each as its own document, RFC 7395 §3.3.3),
   * so the probe then becomes part of that element and only this connection stalls.
   */
  send(rng: Rng, c: WsProbe & { jid?: string }, i: number): string | { note: string; mayStall: true };
  /** Sends a probe the server must answer while the connection lives. */
  probe(c: WsProbe, i: number, ms: number): Promise<Outcome>;
}

async function runSurface(t: FuzzTarget, s: Surface, o: { rng: Rng; cases: number; until?: number; batch?: number }): Promise<{ tally: Tally; failures: string[] }> {
  const tally = newTally(s.name);
  const failures: string[] = [];
  let c = await s.connect();
  const notes: string[] = [];
  for (let i = 0; i < o.cases && !(o.until && Date.now() > o.until); i++) {
    const from = c.texts.length;
    const sent = s.send(o.rng, c, i);
    const note = typeof sent === 'string' ? sent : sent.note;
    const mayStall = typeof sent !== 'string';
    notes.push(`#${i} ${note}`);
    const outcome = await s.probe(c, i, mayStall ? 600 : 8000);
    tally.cases++;
    const code = outcome === 'closed' ? await c.closed : undefined;
    count(tally, code === undefined ? (outcome === 'hung' && mayStall ? 'own connection stalled (element left open)' : outcome) : `close ${code}`);
    const said = c.texts.slice(from).join(' ').slice(0, 300);
    if (process.env.FUZZ_DEBUG) console.log(`#${i} ${note} → ${outcome} ${code ?? ''} ${said.slice(0, 80)}`);
    if (outcome === 'hung' && !mayStall) failures.push(`#${i} ${note} → no answer to the probe within 8 s; got: ${said}`);
    if (code === 1011 || /internal-server-error|"code":"internal"/.test(said)) {
      tally.serverErrors++;
      failures.push(`#${i} ${note} → a server error: close ${code}; got: ${said}`);
    }
    // 1006 (no close frame) is counted, not failed: about 0.2% of long-run events-socket cases end
    // so. The events protocol's pongs carry no id, so a late pong of an earlier storm can answer a
    // probe while the server is closing that connection for an oversize or broken frame, and a TCP
    // reset then overtakes its close frame; a few follow only valid frames and remain unexplained
    // (see the report of issue 11). A crash still shows in t.alive().
    if (outcome !== 'ok' || (i + 1) % (o.batch ?? 25) === 0 || i === o.cases - 1) {
      try {
        await t.alive(`${s.name} batch ending #${i}:\n  ${notes.join('\n  ')}`);
      } catch (e) {
        tally.crashes++;
        failures.push((e as Error).message);
        break;
      }
      notes.length = 0;
      if (outcome !== 'ok') {
        c.ws.terminate();
        c = await s.connect();
      }
    }
  }
  c.ws.terminate();
  return { tally, failures };
}

export function eventsSurface(t: FuzzTarget): Surface {
  const url = `${t.url.replace('http', 'ws')}/api/v1/events`;
  return {
    name: 'events socket',
    connect: () => openWs(url, { headers: { authorization: `Bearer ${t.users[0].spare[0]}` } }),
    send(rng, c) {
      const kind = rng.int(9);
      const valid = rng.pick([{ type: 'ping' }, { type: 'refresh' }]);
      if (kind === 0) c.ws.send(JSON.stringify(valid));
      else if (kind === 1) c.ws.send(JSON.stringify(mutateJson(rng, valid)) ?? 'undefined');
      else if (kind === 2) c.ws.send(rng.chance(0.5) ? rng.text() : (JSON.stringify(randomJson(rng)) ?? ''));
      else if (kind === 3) c.ws.send(rng.bytes(rng.int(300)), { binary: true });
      else if (kind === 4) c.ws.send(`{"type":"ping","x":"${'x'.repeat(rng.pick([4080, 5000, 70_000]))}"}`);
      else if (kind === 5) {
        const text = JSON.stringify(valid);
        const cut = 1 + rng.int(text.length - 1);
        c.ws.send(text.slice(0, cut), { fin: false });
        c.ws.send(text.slice(cut), { fin: true });
      } else if (kind === 6) {
        const b = badFrame(rng);
        c.raw(b.frame);
        return `frame: ${b.note}`;
      } else if (kind === 7) {
        const n = rng.pick([20, 100]);
        for (let k = 0; k < n; k++) c.ws.send(JSON.stringify(rng.pick([{ type: 'ping' }, { type: 'refresh' }])));
        return `storm of ${n} pings/refreshes`;
      } else for (let k = 0; k < 50; k++) c.ws.ping(rng.bytes(rng.int(125)));
      return ['valid', 'mutated JSON', 'random text', 'binary', 'oversize', 'fragmented', '', '', 'ping-frame storm'][kind]!;
    },
    async probe(c, _i, ms) {
      const from = c.texts.length;
      if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify({ type: 'ping' }));
      return c.waitText((m) => m.includes('"pong"'), from, ms);
    },
  };
}

const OPEN = `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='${DOMAIN}' version='1.0'/>`;

export function xmppWebSocketSurface(t: FuzzTarget): Surface {
  const url = `${t.url.replace('http', 'ws')}/xmpp-websocket`;
  const user = t.users[0];
  return {
    name: 'xmpp websocket',
    async connect() {
      const c = await openWs(url, { protocols: ['xmpp'] });
      const step = async (frame: string, want: RegExp) => {
        const from = c.texts.length;
        c.ws.send(frame);
        if ((await c.waitText((m) => want.test(m), from, 5000)) !== 'ok') throw new Error(`XMPP over WebSocket login stalled at ${frame.slice(0, 60)}: ${c.texts.join(' ')}`);
      };
      await step(OPEN, /<stream:features/);
      await step(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain(user.address, user.spare[1]!)}</auth>`, /<success/);
      await step(OPEN, /<bind/);
      await step(`<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>wsfuzz</resource></bind></iq>`, /<jid>/);
      const jid = /<jid>([^<]+)<\/jid>/.exec(c.texts.join(' '))![1]!;
      return Object.assign(c, { jid });
    },
    send(rng, c) {
      const kind = rng.int(8);
      const m = mutateStanza(rng, contextFor(t, c.jid ?? user.address));
      const xml = /^<\w+ xmlns=/.test(m.xml) ? m.xml : m.xml.replace(/^<(\w+)/, "<$1 xmlns='jabber:client'");
      if (kind <= 2) c.ws.send(xml);
      else if (kind === 3) {
        c.ws.send(rng.chance(0.7) ? rng.text() : `<${rng.text()}>`);
        return { note: 'garbage XML', mayStall: true };
      }
      else if (kind === 4) {
        const cut = 1 + rng.int(xml.length - 1);
        if (rng.chance(0.5)) c.ws.send(`${xml}${xml}`);
        else {
          c.ws.send(xml.slice(0, cut));
          c.ws.send(xml.slice(cut));
        }
      } else if (kind === 5) {
        const frame = rng.pick([OPEN, `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='evil.example'/>`, `<open/>`, `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`, `<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`]);
        c.ws.send(frame);
        if (frame.startsWith('<stream:stream')) return { note: 'a TCP stream header in a frame', mayStall: true };
      }
      else if (kind === 6) c.ws.send(rng.bytes(1 + rng.int(200)), { binary: true });
      else {
        const b = badFrame(rng);
        c.raw(b.frame);
        return `frame: ${b.note}`;
      }
      return kind <= 2 ? `stanza ${m.note}` : ['', '', '', '', 'split/packed stanza', 'open/close out of place', 'binary'][kind]!;
    },
    probe(c, i, ms) {
      const from = c.texts.length;
      if (c.ws.readyState === c.ws.OPEN) c.ws.send(`<iq xmlns='jabber:client' type='get' id='probe-${i}' to='${DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>`);
      return c.waitText((s) => s.includes(`id="probe-${i}"`) || s.includes(`id='probe-${i}'`), from, ms);
    },
  };
}

export const fuzzEventsSocket = (t: FuzzTarget, o: { rng: Rng; cases: number; until?: number }) => runSurface(t, eventsSurface(t), o);
export const fuzzXmppWebSocket = (t: FuzzTarget, o: { rng: Rng; cases: number; until?: number }) => runSurface(t, xmppWebSocketSurface(t), o);
