// Two more of minify-names.mjs's rewrites of the wasm-bindgen glue, kept apart so that a test
// can run them on the glue's text as wasm-bindgen writes it. Each must match exactly, or the
// build stops: a wasm-bindgen upgrade that changes the glue fails here, not in a browser.

/** The glue without the two fallbacks no browser able to run the tracker needs. */
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
  return out;
}
