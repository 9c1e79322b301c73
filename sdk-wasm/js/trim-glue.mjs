// More of minify-names.mjs's rewrites of the wasm-bindgen glue, kept apart so that a test
// can run them on the glue's text as wasm-bindgen writes it. Each must match exactly, or the
// build stops: a wasm-bindgen upgrade that changes the glue fails here, not in a browser.

/** The glue without fallbacks no browser able to run the tracker needs, and with shorter
 * readers of numbers and strings. */
export function trimGlue(glue) {
  let out = glue;
  const replace = (pattern, by, what) => {
    if (!pattern.test(out)) throw new Error(`trim-glue: ${what} not found in the glue; has wasm-bindgen changed it?`);
    out = out.replace(pattern, by);
  };
  // Closures are freed by a FinalizationRegistry, which every browser that runs this module
  // has (its externref table needs reference types, which came later): no stand-in.
  replace(
    /^const CLOSURE_DTORS = \(typeof FinalizationRegistry === 'undefined'\)\n    \? \{ register: \(\) => \{\}, unregister: \(\) => \{\} \}\n    : new FinalizationRegistry\(/m,
    'const CLOSURE_DTORS = new FinalizationRegistry(',
    'the FinalizationRegistry stand-in',
  );
  // The byte view on the memory is made again when the memory grew, checked as the DataView
  // is (minify-names.mjs): growing gives `memory.buffer` a new buffer.
  replace(
    /^(function getUint8ArrayMemory0\(\) \{\n)    if \(cachedUint8ArrayMemory0 === null \|\| cachedUint8ArrayMemory0\.byteLength === 0\) \{\n(        cachedUint8ArrayMemory0 = new Uint8Array\((wasm\.[\w$]+)\.buffer\);\n)/m,
    (_, open, assign, memory) => `${open}    if (cachedUint8ArrayMemory0?.buffer !== ${memory}.buffer) {\n${assign}`,
    'the byte view\'s check for a grown memory',
  );
  // Reading a number or a string for Rust (`as_f64`, `as_string`): the same writes to the
  // memory, without the `undefined` in between.
  replace(
    /^            const obj = arg1;\n            const ret = typeof\(obj\) === 'number' \? obj : undefined;\n            getDataViewMemory0\(\)\.setFloat64\(\(arg0 >>> 0\) \+ 8 \* 1, isLikeNone\(ret\) \? 0 : ret, true\);\n            getDataViewMemory0\(\)\.setInt32\(\(arg0 >>> 0\) \+ 4 \* 0, !isLikeNone\(ret\), true\);\n/m,
    "            const some = typeof arg1 === 'number';\n" +
      '            getDataViewMemory0().setFloat64((arg0 >>> 0) + 8, some ? arg1 : 0, true);\n' +
      '            getDataViewMemory0().setInt32(arg0 >>> 0, some, true);\n',
    'the number reader',
  );
  replace(
    /^            const obj = arg1;\n            const ret = typeof\(obj\) === 'string' \? obj : undefined;\n            var ptr1 = isLikeNone\(ret\) \? 0 : passStringToWasm0\(ret, (wasm\.[\w$]+), (wasm\.[\w$]+)\);\n            var len1 = WASM_VECTOR_LEN;\n            getDataViewMemory0\(\)\.setInt32\(\(arg0 >>> 0\) \+ 4 \* 1, len1, true\);\n            getDataViewMemory0\(\)\.setInt32\(\(arg0 >>> 0\) \+ 4 \* 0, ptr1, true\);\n/m,
    (_, malloc, realloc) =>
      `            const ptr1 = typeof arg1 === 'string' ? passStringToWasm0(arg1, ${malloc}, ${realloc}) : 0;\n` +
      '            getDataViewMemory0().setInt32((arg0 >>> 0) + 4, WASM_VECTOR_LEN, true);\n' +
      '            getDataViewMemory0().setInt32(arg0 >>> 0, ptr1, true);\n',
    'the string reader',
  );
  return out;
}
