// js/personalize.js in node: the GET that brings the rules and the profile (what `done` is
// given), the cost of re-checking changed elements, and the elements no action changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getText } from './personalize.js';

/** Calls getText with `fetch` replaced by `fake` and localStorage by `storage` (the ETag key
 * is `etag`); resolves to what `done` got, and the request fetch was given. */
function get(fake, storage = {}) {
  const realFetch = globalThis.fetch;
  const realStorage = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
  let request;
  globalThis.fetch = (url, init) => {
    request = { url, init };
    return fake();
  };
  Object.defineProperty(globalThis, 'localStorage', {
    configurable: true,
    get: () => ({ getItem: (key) => storage[key] ?? null }),
  });
  return new Promise((resolve) => {
    try {
      getText('https://c.example/x', 'etag', (answer) => resolve({ answer, request }), 'visitor');
    } finally {
      globalThis.fetch = realFetch;
      if (realStorage) Object.defineProperty(globalThis, 'localStorage', realStorage);
      else delete globalThis.localStorage;
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

test('the ETag stored under the key is sent as If-None-Match', async () => {
  const { request } = await get(async () => response(304, ''), { etag: '"v1"' });
  assert.deepEqual(request.init.headers, { 'If-None-Match': '"v1"' });
  const { request: empty } = await get(async () => response(304, ''), { etag: '' });
  assert.deepEqual(empty.init.headers, { 'If-None-Match': '' });
});

test('without a key, or with storage disabled, no ETag is sent', async () => {
  const realFetch = globalThis.fetch;
  let request;
  globalThis.fetch = (url, init) => {
    request = init;
    return Promise.resolve(response(304, ''));
  };
  try {
    await new Promise((resolve) => getText('https://c.example/x', '', resolve, ''));
    assert.deepEqual(request.headers, {});
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get: () => {
        throw new Error('storage is disabled');
      },
    });
    await new Promise((resolve) => getText('https://c.example/x', 'etag', resolve, ''));
    assert.deepEqual(request.headers, {});
  } finally {
    globalThis.fetch = realFetch;
    delete globalThis.localStorage;
  }
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

test('re-checking changed elements reads each change once, not a search through all of them', async () => {
  const { apply, changes } = await import('./personalize.js');
  const element = () => {
    const classes = new Set();
    return { closest: () => null, classList: { contains: (n) => classes.has(n), add: (n) => classes.add(n) } };
  };
  const realDocument = globalThis.document;
  /** Reads of the list of changes made, for 5 re-checks of an add_class change made on `n`
   * elements (counted, not timed: a timing ratio is at the mercy of a busy machine). */
  const reads = (n) => {
    const elements = Array.from({ length: n }, element);
    globalThis.document = { querySelectorAll: () => elements };
    const state = changes();
    assert.equal(apply(state, 0, '.item', 4, 'class', 'hot', ''), 1);
    let count = 0;
    state.made = new Proxy(state.made, {
      get(target, key, receiver) {
        if (typeof key == 'string' && /^\d+$/.test(key)) count++;
        return Reflect.get(target, key, receiver);
      },
    });
    for (let i = 0; i < 5; i++) apply(state, 0, '.item', 4, 'class', 'hot', '');
    return count;
  };
  try {
    // A search through every change for each element reads about n²/2 entries per re-check
    // (10 million for 2,000 elements); a lookup by element reads a few.
    assert.ok(reads(2000) <= 5 * 10, `${reads(2000)} reads for 2,000 elements`);
  } finally {
    if (realDocument === undefined) delete globalThis.document;
    else globalThis.document = realDocument;
  }
});

test("no action changes the elements orbit-core's UNCHANGEABLE_ELEMENTS names; others are changed", async () => {
  const { apply, changes } = await import('./personalize.js');
  const { readFileSync } = await import('node:fs');
  const rust = readFileSync(new URL('../../core/src/rules/selector.rs', import.meta.url), 'utf8');
  const list = rust.match(/UNCHANGEABLE_ELEMENTS: &\[&str\] = &\[([^\]]*)\]/)[1];
  const names = [...list.matchAll(/"([a-z]+)"/g)].map(([, name]) => name);
  assert.ok(names.includes('script') && names.includes('base'), names.join());
  const element = (localName) => ({ localName, closest: () => null, textContent: 'original', childNodes: [] });
  const elements = [...names, 'p', 'h1', 'title', 'scripts'].map(element);
  const realDocument = globalThis.document;
  globalThis.document = { querySelectorAll: () => elements };
  try {
    apply(changes(), 0, '*', 0, '', 'changed', '');
  } finally {
    if (realDocument === undefined) delete globalThis.document;
    else globalThis.document = realDocument;
  }
  const changed = elements.filter((e) => e.textContent == 'changed').map((e) => e.localName);
  assert.deepEqual(changed, ['p', 'h1', 'title', 'scripts']);
});
