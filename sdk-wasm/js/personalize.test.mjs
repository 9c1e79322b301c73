// The GET of js/personalize.js that brings the rules and the profile: what `done` is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getText } from './personalize.js';

/** Calls getText with `fetch` replaced by `fake`; resolves to what `done` got, and the
 * request fetch was given. */
function get(fake, etag) {
  const real = globalThis.fetch;
  let request;
  globalThis.fetch = (url, init) => {
    request = { url, init };
    return fake();
  };
  return new Promise((resolve) => {
    try {
      getText('https://c.example/x', etag, (answer) => resolve({ answer, request }), 'visitor');
    } finally {
      globalThis.fetch = real;
    }
  });
}

const response = (status, body, etag) => ({
  status,
  headers: new Headers(etag ? { etag } : {}),
  text: async () => body,
});

test('a 200 gives its body, its ETag and the tag; no cookies are sent', async () => {
  const { answer, request } = await get(async () => response(200, '{"a":1}', '"v1"'));
  assert.deepEqual(answer, ['{"a":1}', '"v1"', 'visitor']);
  assert.equal(request.url, 'https://c.example/x');
  assert.equal(request.init.credentials, 'omit');
  assert.deepEqual(request.init.headers, {});
  const { answer: untagged } = await get(async () => response(200, 'x'));
  assert.deepEqual(untagged, ['x', null, 'visitor']);
});

test('an ETag is sent as If-None-Match', async () => {
  const { request } = await get(async () => response(304, ''), '"v1"');
  assert.deepEqual(request.init.headers, { 'If-None-Match': '"v1"' });
});

test('anything but a 200 gives no array, and nothing throws', async () => {
  const failures = [
    async () => response(304, ''),
    async () => response(500, 'oops'),
    async () => {
      throw new TypeError('no network');
    },
    () => {
      throw new Error('fetch itself threw');
    },
    async () => ({ status: 200, headers: new Headers(), text: async () => Promise.reject(new Error('cut')) }),
  ];
  for (const fake of failures) {
    const { answer } = await get(fake);
    assert.ok(!Array.isArray(answer), String(answer));
  }
});
