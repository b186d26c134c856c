// XEP-0115 §5.2 and §5.3: the verification strings of the spec's own examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Element } from 'ltx';
import { verificationHash } from './caps.ts';

test('the simple example of XEP-0115 §5.2 hashes to its published ver', () => {
  const q = parse(`<query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>
    <identity category='client' name='Exodus 0.9.1' type='pc'/>
    <feature var='http://jabber.org/protocol/caps'/>
    <feature var='http://jabber.org/protocol/disco#info'/>
    <feature var='http://jabber.org/protocol/disco#items'/>
    <feature var='http://jabber.org/protocol/muc'/>
  </query>`) as Element;
  assert.equal(verificationHash(q), 'QgayPKawpkPSDYmwT/WM94uAlu0=');
});

test('the complex example of XEP-0115 §5.3 (languages, an extended form) hashes to its published ver; a changed feature does not', () => {
  const xml = (extra: string) => `<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>
    <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
    <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
    <feature var='http://jabber.org/protocol/caps'/>
    <feature var='http://jabber.org/protocol/disco#info'/>
    <feature var='http://jabber.org/protocol/disco#items'/>
    <feature var='http://jabber.org/protocol/muc'/>${extra}
    <x xmlns='jabber:x:data' type='result'>
      <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
      <field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>
      <field var='os'><value>Mac</value></field>
      <field var='os_version'><value>10.5.1</value></field>
      <field var='software'><value>Psi</value></field>
      <field var='software_version'><value>0.11</value></field>
    </x>
  </query>`;
  assert.equal(verificationHash(parse(xml('')) as Element), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  assert.notEqual(verificationHash(parse(xml(`<feature var='urn:xmpp:avatar:metadata+notify'/>`)) as Element), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
});
