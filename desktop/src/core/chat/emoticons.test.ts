import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withEmoji, withEmojiInHtml } from './emoticons.ts';

test('shortcuts that stand as words become emoji', () => {
  const cases: [string, string][] = [
    [':-)', '🙂'],
    ['Hello :) how are you :(', 'Hello 🙂 how are you 🙁'],
    [':) :) ;)', '🙂 🙂 😉'],
    ['great :D!', 'great 😀!'],
    ['line one :P\nline two <3', 'line one 😛\nline two ❤️'],
    ["so sad :'(", 'so sad 😢'],
    ['ok (y)', 'ok 👍'],
    ['angry >:(', 'angry 😠'],
    ['O:) angel', '😇 angel'],
  ];
  for (const [input, want] of cases) assert.equal(withEmoji(input), want, input);
});

test('shortcuts inside words, URLs, times and code are left alone', () => {
  for (const text of ['http://example.com/:P', 'see https://x.example/a:)b', 'meet at 10:30', 'f(x):D', 'a<3b', 'ratio 8-)9', 'x:-)', 'emoji:)', '']) {
    assert.equal(withEmoji(text), text, text);
  }
});

test('in HTML only the text between tags changes, and stays escaped', () => {
  assert.equal(withEmojiInHtml('<span style="color: red">hi :)</span> &lt;3'), '<span style="color: red">hi 🙂</span> ❤️');
  assert.equal(withEmojiInHtml('<a href="https://x.example/:)">link :)</a>'), '<a href="https://x.example/:)">link 🙂</a>', 'attributes untouched');
  assert.equal(withEmojiInHtml('a &lt;script&gt; :)'), 'a &lt;script&gt; 🙂', 'escaped text stays escaped');
  assert.equal(withEmojiInHtml('Tom &amp; Jerry :-D'), 'Tom &amp; Jerry 😀');
});
