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
function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
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

test('the FinalizationRegistry stand-in, the byte view\'s old check and the string writer\'s loop go', () => {
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
function passStringToWasm0(arg, malloc) {
    const buf = cachedTextEncoder.encode(arg);
    const ptr = malloc(buf.length, 1) >>> 0;
    getUint8ArrayMemory0().set(buf, ptr);
    WASM_VECTOR_LEN = buf.length;
    return ptr;
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

/** The glue's string writer run on a small memory: the bytes it wrote and their length. */
function writer(glue) {
  const start = glue.indexOf('function passStringToWasm0');
  const source = glue.slice(start, glue.indexOf('\n}\n', start) + 3);
  const body = `let WASM_VECTOR_LEN = 0;
    const cachedTextEncoder = new TextEncoder();
    const memory = new Uint8Array(4096);
    const getUint8ArrayMemory0 = () => memory;
    // A bump allocator; a reallocation copies, as the tracker's talc does.
    let top = 8;
    const malloc = (size) => { const ptr = top; top += size; return ptr; };
    const realloc = (ptr, old, size) => { const to = malloc(size); memory.copyWithin(to, ptr, ptr + Math.min(old, size)); return to; };
    ${source}
    return (text) => {
      const ptr = passStringToWasm0(text, malloc, realloc);
      return Array.from(memory.subarray(ptr, ptr + WASM_VECTOR_LEN));
    };`;
  return new Function(body)();
}

test('strings reach the wasm as the same UTF-8 bytes', () => {
  const before = writer(GLUE);
  const after = writer(trimGlue(GLUE));
  for (const text of ['', 'hello', 'héllo', 'é', '✓ done 😀', 'a'.repeat(300) + 'ü', '\u0000\u007f\u0080']) {
    assert.deepEqual(after(text), before(text), JSON.stringify(text));
    assert.deepEqual(after(text), Array.from(new TextEncoder().encode(text)));
  }
});

test('a glue that wasm-bindgen wrote differently stops the build', () => {
  assert.throws(() => trimGlue(GLUE.replace("'undefined'", '"undefined"')), /FinalizationRegistry stand-in not found/);
  assert.throws(() => trimGlue(GLUE.replace('byteLength === 0', 'byteLength == 0')), /grown memory not found/);
  assert.throws(() => trimGlue(GLUE.replace('8 * 1', '8')), /number reader not found/);
  assert.throws(() => trimGlue(GLUE.replace('var len1', 'let len1')), /string reader not found/);
  assert.throws(() => trimGlue(GLUE.replace('let len = arg.length;', 'let len = arg.length | 0;')), /string writer not found/);
});
