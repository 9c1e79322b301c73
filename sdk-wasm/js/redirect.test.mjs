// The redirect target of js/personalize.js: resolution, campaign tags carried over, the loop guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redirectTarget } from './personalize.js';

const here = 'https://shop.com/landing/spring?utm_source=mail&x=1#top';

test('targets resolve against the page, and keep its query parameters they do not set', () => {
  assert.equal(redirectTarget('/offer', true, here), 'https://shop.com/offer?utm_source=mail&x=1');
  assert.equal(redirectTarget('/offer?x=2#f', true, here), 'https://shop.com/offer?x=2&utm_source=mail#f');
  assert.equal(redirectTarget('b', false, here), 'https://shop.com/landing/b');
  assert.equal(redirectTarget(' https://other.com/ ', false, here), 'https://other.com/');
  assert.equal(redirectTarget('//cdn.com/x', false, here), 'https://cdn.com/x');
  assert.equal(redirectTarget('?v=b', false, 'https://shop.com/a'), '');
  assert.equal(redirectTarget('/b', false, 'https://shop.com/a?utm_source=x'), 'https://shop.com/b');
});

test('parameters are carried over as written, not re-encoded', () => {
  const page = 'https://shop.com/a?utm_campaign=spring%20sale&q=a+b&flag';
  assert.equal(redirectTarget('/b', true, page), 'https://shop.com/b?utm_campaign=spring%20sale&q=a+b&flag');
});

test('the same page, and schemes other than http(s), mailto and tel, are refused', () => {
  const page = 'https://shop.com/a?utm_source=x';
  assert.equal(redirectTarget('https://other.com/a', false, page), 'https://other.com/a');
  assert.equal(redirectTarget('mailto:sales@shop.com', false, page), 'mailto:sales@shop.com');
  for (const same of ['/a?variant=b', 'https://SHOP.com/a#x', '', '#top']) {
    assert.equal(redirectTarget(same, true, page), '', same);
  }
  // The only check of a redirect's scheme in the browser (the compiled reader leaves it to this).
  const unsafe = ['javascript:alert(1)', ' JavaScript:x', 'java\tscript:x', '\u0001javascript:x', 'vbscript:x'];
  for (const url of [...unsafe, 'data:text/html,x', 'http://[bad', 'ftp://shop.com/b']) {
    assert.equal(redirectTarget(url, false, page), '', url);
  }
});
