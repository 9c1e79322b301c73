// The size ceiling of scripts/build-sdk (compress.mjs --max-gzip) fails the build above it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, 'compress.mjs');

function run(...args) {
  const dir = mkdtempSync(join(tmpdir(), 'orbit-compress-'));
  try {
    // Random bytes do not compress: 4,000 of them are a little over 4,000 gzip.
    writeFileSync(join(dir, 'a.js'), randomBytes(2000));
    writeFileSync(join(dir, 'b.wasm'), randomBytes(2000));
    writeFileSync(join(dir, 'extra.mjs'), randomBytes(5000));
    return spawnSync(process.execPath, [SCRIPT, ...args.flatMap((a) => (a === 'DIR' ? [dir] : [a]))], {
      encoding: 'utf8',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a total under the ceiling passes, and the extras are not counted', () => {
  const r = run('--max-gzip', '4200', 'DIR', 'a.js', 'b.wasm', '--', 'extra.mjs');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /total transfer/);
});

test('a total over the ceiling fails and says what to look for', () => {
  const r = run('--max-gzip', '3900', 'DIR', 'a.js', 'b.wasm');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a\.js \+ b\.wasm is \d+ bytes gzip, over its ceiling of 3900/);
  assert.match(r.stderr, /twiggy/);
});

test('a ceiling that is not a whole number is refused', () => {
  const r = run('--max-gzip', '25KB', 'DIR', 'a.js');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--max-gzip needs a whole number of bytes, not '25KB'/);
});

test('without a ceiling nothing fails', () => {
  assert.equal(run('DIR', 'a.js', 'b.wasm').status, 0);
});
