/* Orbit's script tag, orbit.js (and orbit-core.js, the analytics-only bundle):
   <script async src="https://COLLECTOR/sdk/orbit.js" data-site="SITE" data-key="KEY"></script>
   scripts/build-sdk bundles this file with the entry (orbit.mjs) and the wasm-bindgen glue
   into one classic script, so the only other file is the .wasm beside it, fetched at once
   (by init) and compiled while it downloads; calls made before the tracker runs wait in
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
  // The data-* attributes are init's options (init reads only the ones it knows; the .wasm
  // is always the one beside this file, whatever a data-wasm says). init starts fetching
  // the .wasm at once and never rejects or throws.
  init(Object.assign({}, script.dataset, { base: script.src, wasm: null, global: true }));
})(window, document);
