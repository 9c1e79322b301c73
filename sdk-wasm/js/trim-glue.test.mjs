// trim-glue.mjs, on the glue's text as wasm-bindgen 0.2 writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trimGlue } from './trim-glue.mjs';

const GLUE = `const CLOSURE_DTORS = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(state => wasm.U(state.a, state.b));

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.J.buffer);
    }
    return cachedUint8ArrayMemory0;
}
`;

test('the FinalizationRegistry stand-in and the byte view\'s old check go', () => {
  assert.equal(
    trimGlue(GLUE),
    `const CLOSURE_DTORS = new FinalizationRegistry(state => wasm.U(state.a, state.b));

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0?.buffer !== wasm.J.buffer) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.J.buffer);
    }
    return cachedUint8ArrayMemory0;
}
`,
  );
});

test('the byte view is made again when the memory grew', () => {
  const glue = trimGlue(GLUE);
  const memory = { buffer: new ArrayBuffer(8) };
  const get = new Function('wasm', `${glue.slice(glue.indexOf('let cached'))}; return getUint8ArrayMemory0;`)({
    J: memory,
  });
  const first = get();
  assert.equal(get(), first, 'kept while the memory is the same');
  memory.buffer = new ArrayBuffer(16);
  assert.equal(get().length, 16, 'made again on the grown memory');
});

test('a glue that wasm-bindgen wrote differently stops the build', () => {
  assert.throws(() => trimGlue(GLUE.replace("'undefined'", '"undefined"')), /FinalizationRegistry stand-in not found/);
  assert.throws(() => trimGlue(GLUE.replace('byteLength === 0', 'byteLength == 0')), /grown memory not found/);
});
