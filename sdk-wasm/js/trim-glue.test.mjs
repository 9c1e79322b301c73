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
const imports = {
        z: (arg0, arg1) => {
            const obj = arg1;
            const ret = typeof(obj) === 'number' ? obj : undefined;
            getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
        },
        A: (arg0, arg1) => {
            const obj = arg1;
            const ret = typeof(obj) === 'string' ? obj : undefined;
            var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.N, wasm.O);
            var len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
};
`;

/** Runs the glue's readers (imports `z` and `A`) on a small memory; what each writes. */
function readers(glue) {
  const view = new DataView(new ArrayBuffer(64));
  const body = `let WASM_VECTOR_LEN = 7;
    const isLikeNone = (x) => x === undefined || x === null;
    const getDataViewMemory0 = () => view;
    function passStringToWasm0(arg, malloc, realloc) { WASM_VECTOR_LEN = arg.length; return malloc; }
    ${glue.slice(glue.indexOf('const imports'))}
    return imports;`;
  const imports = new Function('view', 'wasm', body)(view, { N: 40, O: 0 });
  return (name, value) => {
    new Uint8Array(view.buffer).fill(0xff);
    imports[name](8, value);
    return name === 'z'
      ? [view.getInt32(8, true), view.getFloat64(16, true)]
      : [view.getInt32(8, true), view.getInt32(12, true)];
  };
}

test('the FinalizationRegistry stand-in and the byte view\'s old check go', () => {
  const glue = trimGlue(GLUE);
  assert.equal(
    glue.slice(0, glue.indexOf('const imports')),
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

test('numbers and strings are read for Rust as before', () => {
  const before = readers(GLUE);
  const after = readers(trimGlue(GLUE));
  for (const value of [0, -1.5, NaN, 'x', '', 'hello', undefined, null, true, {}]) {
    for (const name of ['z', 'A']) {
      assert.deepEqual(after(name, value), before(name, value), `${name}(${String(value)})`);
    }
  }
  assert.deepEqual(after('A', 'hello'), [40, 5]);
  assert.equal(after('A', 3)[0], 0, 'not a string: no pointer');
});

test('a glue that wasm-bindgen wrote differently stops the build', () => {
  assert.throws(() => trimGlue(GLUE.replace("'undefined'", '"undefined"')), /FinalizationRegistry stand-in not found/);
  assert.throws(() => trimGlue(GLUE.replace('byteLength === 0', 'byteLength == 0')), /grown memory not found/);
  assert.throws(() => trimGlue(GLUE.replace('8 * 1', '8')), /number reader not found/);
  assert.throws(() => trimGlue(GLUE.replace('var len1', 'let len1')), /string reader not found/);
});
