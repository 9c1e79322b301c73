/* Orbit's script tag, orbit.js (and orbit-core.js, the analytics-only bundle):
   <script async src="https://COLLECTOR/sdk/orbit.js" data-site="SITE" data-key="KEY"></script>
   scripts/build-sdk bundles this file with the entry (orbit.mjs) and the wasm-bindgen glue
   into one classic script, so the only other file is the .wasm beside it, fetched at once
   and compiled while it downloads; calls made before the tracker runs wait in
   window.orbit.q. Pages that use ES modules import the same file through orbit.mjs
   (module.mjs), which finds `init` where this file leaves it. */
import { init } from './orbit.mjs';

(function (w, d) {
  var script = d.currentScript;
  // Imported as a module (orbit.mjs): no script tag to read; module.mjs calls `init`.
  if (!script) {
    w[Symbol.for('orbit.init')] = init;
    return;
  }
  if (!script.src || w.__orbitLoaded) return;
  w.__orbitLoaded = true;
  w.orbit =
    w.orbit ||
    function () {
      (w.orbit.q = w.orbit.q || []).push(arguments);
    };
  try {
    var base = script.src;
    var data = script.dataset;
    var wasmUrl = new URL('__WASM__', base);
    // Compiled while its bytes arrive. Where that fails (a server without the
    // application/wasm type, a CSP without 'wasm-unsafe-eval') init gets the response
    // again and reports why.
    var wasm =
      w.WebAssembly && WebAssembly.compileStreaming
        ? WebAssembly.compileStreaming(fetch(wasmUrl)).catch(function () {
            return fetch(wasmUrl);
          })
        : fetch(wasmUrl);
    wasm.catch(function () {});
    // The data-* attributes are init's options (init reads only the ones it knows); init
    // never rejects.
    init(
      Object.assign({}, data, {
        endpoint: data.endpoint || new URL(base).origin,
        base: base,
        wasm: wasm,
        global: true,
      }),
    );
  } catch (error) {
    if (w.console) console.warn('[orbit] could not load the tracker: ' + ((error && error.message) || error));
  }
})(window, document);
