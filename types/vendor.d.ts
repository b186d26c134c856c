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
  /** xmpp.js client (0.14): only what Herald's tests use so far. */
  export interface XmppClient extends EventEmitter {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
  }
  export function client(opts: { service: string; domain?: string; username?: string; password?: string; resource?: string }): XmppClient;
}
