// The URL and user-agent parts of js/context.js: what orbit-core's `VisitorContext::set_url`,
// `set_referrer` and `set_user_agent` give for the same page, referrer and user agent (their
// tests in core/src/rules/context.rs and core/src/enrich/ua.rs, and the browser tests in
// sdk-wasm/tests/personalize.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pageContext, userAgentContext } from './context.js';

/** The URL parts, after the hour, weekday and user-agent parts. */
const urlContext = (page, referrer) => pageContext(page, '', referrer).slice(5);

/** `DeviceType`'s names by the index userAgentContext gives. */
const DEVICES = ['desktop', 'mobile', 'tablet', 'bot', 'unknown'];

test('host, path, hash and query parameters are split as set_url splits them', () => {
  assert.deepEqual(
    urlContext('https://user@shop.example.com:8443/pricing/?plan=pro&utm_source=mail#faq', ''),
    ['shop.example.com', '/pricing/', 'faq', undefined, undefined, 'plan', 'pro', 'utm_source', 'mail'],
  );
  assert.deepEqual(urlContext('https://example.com/', ''), ['example.com', '/', undefined, undefined, undefined]);
  assert.deepEqual(urlContext('http://[::1]:8080/a', '').slice(0, 2), ['[::1]', '/a']);
  assert.deepEqual(urlContext('file:///C:/page.html', '').slice(0, 2), [undefined, '/C:/page.html']);
});

test('a bare # is an empty hash, and the hash is the text after the first #', () => {
  assert.equal(urlContext('https://a.com/#', '')[2], '');
  assert.equal(urlContext('https://a.com/?q=1#x#y', '')[2], 'x#y');
});

test('query values are form-decoded, repeated, empty or without =, in order', () => {
  const page = 'https://a.com/p?q=big+sale&ref=a%2Fb&flag&&=v&x=&x=2&bad=%zz&%E2%82%AC=%C3%A9';
  assert.deepEqual(urlContext(page, '').slice(5), [
    'q', 'big sale', 'ref', 'a/b', 'flag', '', '', 'v', 'x', '', 'x', '2', 'bad', '%zz', '€', 'é',
  ]);
});

test('a value that is not UTF-8 keeps only its ASCII characters, as orbit-core decodes it', () => {
  assert.deepEqual(urlContext('https://a.com/?n=caf%E9+ok%C3%A9', '').slice(5), ['n', 'caf ok']);
  assert.deepEqual(urlContext('https://a.com/?n=%ED%A0%80x', '').slice(5), ['n', 'x']);
});

test('the referrer domain is lowercase, without port and www.; a direct visit has none', () => {
  assert.deepEqual(urlContext('https://a.com/', 'https://www.google.com:443/search?q=x').slice(3, 5), [
    'https://www.google.com:443/search?q=x',
    'google.com',
  ]);
  assert.equal(urlContext('https://a.com/', 'android-app://com.Google.android.gm/')[4], 'com.google.android.gm');
  assert.equal(urlContext('https://a.com/', 'https://wwwx.com/')[4], 'wwwx.com');
  assert.deepEqual(urlContext('https://a.com/', '').slice(3, 5), [undefined, undefined]);
});

test('the local hour and ISO weekday come first, whatever the URL', () => {
  const [hour, weekday] = pageContext('not a url', '', '');
  const now = new Date();
  assert.equal(hour, now.getHours());
  assert.equal(weekday, now.getDay() || 7);
});

test('a URL the browser cannot read gives nothing, and nothing throws', () => {
  assert.deepEqual(urlContext('not a url', ''), []);
  assert.deepEqual(urlContext('https://a.com/', 'http://[bad'), []);
  // Outside a page (no document) the referrer cannot be read.
  assert.deepEqual(urlContext('https://a.com/'), []);
});

test('every agent of the shared corpus gets the device, browser and os orbit-core gives', () => {
  const corpus = JSON.parse(readFileSync(new URL('../../tests/fixtures/user-agents.json', import.meta.url)));
  assert.ok(corpus.cases.length > 300);
  for (const { user_agent, device, browser, os } of corpus.cases) {
    const [index, ...names] = userAgentContext(user_agent);
    assert.deepEqual([DEVICES[index], ...names.map((name) => name ?? null)], [device, browser, os], user_agent);
  }
});

test('the user agent comes after the hour and weekday, whatever the URL', () => {
  const ua = 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) Version/16.6 Mobile/15E148 Safari/604.1';
  assert.deepEqual(pageContext('not a url', ua, '').slice(2), [2, 'Safari', 'iOS']);
  assert.deepEqual(pageContext('https://a.com/x', '', '').slice(2, 6), [3, undefined, undefined, 'a.com']);
});
