/* Orbit loader, served as orbit.js (and orbit-core.js, the analytics-only bundle):
   <script async src="https://COLLECTOR/sdk/orbit.js" data-site="SITE" data-key="KEY"></script>
   Fetches the module entry, the wasm-bindgen glue and the .wasm in parallel from next to
   its own URL, then starts the tracker; calls made before that wait in window.orbit.q. */
(function (w, d) {
  var script = d.currentScript;
  if (!script || !script.src || w.__orbitLoaded) return;
  w.__orbitLoaded = true;
  w.orbit =
    w.orbit ||
    function () {
      (w.orbit.q = w.orbit.q || []).push(arguments);
    };
  function warn(message) {
    if (w.console) console.warn('[orbit] ' + message);
  }
  try {
    var base = script.src;
    var data = script.dataset;
    var wasmUrl = new URL('__WASM__', base);
    // Compiled while its bytes arrive, so the module is ready when the entry is. Where that
    // fails (a server without the application/wasm type, a CSP without 'wasm-unsafe-eval')
    // the entry gets the response again and reports why.
    var wasm = w.WebAssembly && WebAssembly.compileStreaming
      ? WebAssembly.compileStreaming(fetch(wasmUrl)).catch(function () {
          return fetch(wasmUrl);
        })
      : fetch(wasmUrl);
    wasm.catch(function () {});
    import(new URL('__GLUE__', base).href).catch(function () {});
    import(new URL('__ENTRY__', base).href)
      .then(function (entry) {
        return entry.init({
          site: data.site,
          key: data.key,
          endpoint: data.endpoint || new URL(base).origin,
          consent: data.consent,
          respectDnt: data.respectDnt,
          cookieDomain: data.cookieDomain,
          cookieless: data.cookieless,
          leadCapture: data.leadCapture,
          hashEmail: data.hashEmail,
          trackHash: data.trackHash,
          wasm: wasm,
          global: true
        });
      })
      .catch(function (error) {
        warn('could not load the tracker: ' + ((error && error.message) || error));
      });
  } catch (error) {
    warn('could not load the tracker: ' + ((error && error.message) || error));
  }
})(window, document);
