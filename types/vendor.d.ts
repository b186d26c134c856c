// Types for untyped packages Herald uses (ltx 3, @xmpp/client 0.14): only what Herald uses.
declare module 'ltx' {
  export type Node = Element | string;
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string>;
    children: Node[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    c(name: string, attrs?: Record<string, string | undefined>): Element;
    cnode(child: Element): Element;
    append(...nodes: Node[]): Element;
    t(text: string): Element;
    up(): Element;
    root(): Element;
    remove(el: Element | string, xmlns?: string): Element;
    attr(name: string, value?: string): string | undefined;
    toString(): string;
  }
  export function parse(xml: string): Element;
  export function escapeXML(s: string): string;
  export function escapeXMLText(s: string): string;
  export function createElement(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Node | Node[])[]): Element;
}

declare module 'ltx/src/parsers/ltx.js' {
  import { EventEmitter } from 'node:events';
  /** ltx's own SAX parser: emits startElement(name, attrs), endElement(name), text(str). */
  export default class SaxLtx extends EventEmitter {
    write(data: string): void;
    end(data?: string): void;
  }
}

declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';
  /** xmpp.js client (0.14): only what Herald uses (tests, and the desktop chat in desktop/src/core/chat/). */
  export interface XmppClient extends EventEmitter {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    // ---- used by the desktop chat (desktop/src/core/chat/xmpp-connection.ts) ----
    /** offline, connecting, connect, opening, open, online, closing, close, disconnecting, disconnect. */
    status: string;
    jid: { toString(): string; bare(): { toString(): string } } | null;
    options: { service: string; domain: string; lang?: string };
    /** The connection classes tried in order for a service URL (each one's prototype.Socket is its socket). */
    transports: XmppTransport[];
    connect(service: string): Promise<void>;
    open(o: { domain: string; lang?: string }): Promise<Element>;
    disconnect(): Promise<void>;
    isSecure(): boolean;
    reconnect: { start(): void; stop(): void };
    iqCaller: { request(el: Element, timeoutMs?: number): Promise<Element> };
    iqCallee: {
      get(ns: string, name: string, handler: (ctx: XmppIqContext) => Element | boolean | undefined | Promise<Element | boolean | undefined>): void;
      set(ns: string, name: string, handler: (ctx: XmppIqContext) => Element | boolean | undefined | Promise<Element | boolean | undefined>): void;
    };
    streamManagement: XmppStreamManagement;
  }
  export interface XmppIqContext {
    stanza: Element;
    element: Element;
    from: { toString(): string } | null;
  }
  /** XEP-0198 state and events: `ack`/`fail` carry a stanza the server did / will never acknowledge; `resumed`. */
  export interface XmppStreamManagement extends EventEmitter {
    id: string;
    enabled: boolean;
    outbound_q: { stanza: Element; stamp: string }[];
    timeout: number;
    requestAckInterval: number;
  }
  /** A connection class (ConnectionWebSocket, ConnectionTCP...): subclass it to change its socket. */
  export interface XmppTransportInstance {
    Socket: unknown;
    socketParameters(service: string): unknown;
  }
  export interface XmppTransport {
    new (...args: never[]): XmppTransportInstance;
    prototype: XmppTransportInstance;
  }
  /** SASL: called with the offered mechanisms xmpp.js supports; must call authenticate. */
  export type XmppCredentials = (
    authenticate: (credentials: { username?: string; password?: string }, mechanism: string) => Promise<void>,
    mechanisms: string[],
    fast: unknown,
    entity: XmppClient,
  ) => Promise<void>;
  export function client(opts: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
    credentials?: XmppCredentials;
    lang?: string;
    timeout?: number;
  }): XmppClient;
  /** @xmpp/xml's element factory; its Element (a subclass of ltx's) is what iqCallee takes as an answer. */
  export const xml: ((name: string, attrs?: Record<string, string | undefined> | null, ...children: (Element | string)[]) => Element) & { Element: typeof Element };
}
