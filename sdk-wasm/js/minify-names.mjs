// Renames the glue's side of wasm-opt's --minify-imports-and-exports-and-modules, whose
// mapping (JSON on wasm-opt's stdout) this reads. wasm-bindgen names every import
// "./orbit_glue_bg.js" + "__wbg_<name>_<16 hex>"; those ~100 long, random names cost
// ~2.5 KB gzip across the .wasm and the glue, and one-letter names cost nothing.
// Every name must be found where it is expected, or the build stops: a wasm-bindgen
// upgrade that changes the glue's shape fails here, not in a visitor's browser.
// Usage: node minify-names.mjs MAPPING.json WASM GLUE.js OUT.js
import { readFileSync, writeFileSync } from 'node:fs';

const [mappingFile, wasmFile, glueFile, outFile] = process.argv.slice(2);
const mapping = JSON.parse(readFileSync(mappingFile, 'utf8'));
let glue = readFileSync(glueFile, 'utf8');

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\$]/g, '\\$&');
function replace(pattern, by, what, optional = false) {
  let count = 0;
  glue = glue.replace(pattern, () => {
    count += 1;
    return by;
  });
  if (count === 0 && !optional) {
    console.error(`minify-names: ${what} not found in the glue; has wasm-bindgen changed it?`);
    process.exit(1);
  }
}

const modules = new Set(mapping.imports.map(([module]) => module));
if (modules.size !== 1) {
  console.error(`minify-names: expected one import module, found ${[...modules].join(', ')}`);
  process.exit(1);
}
const [module] = modules;
const renamed = new Set(
  WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmFile))).map((i) => i.module),
);
if (renamed.size !== 1) {
  console.error(`minify-names: the minified .wasm imports from ${[...renamed].join(', ')}`);
  process.exit(1);
}
const [short] = renamed;
// The import object's key.
replace(new RegExp(`"${escape(module)}":`, 'g'), `${short}:`, `the import module "${module}"`);
// Imports are keys of that object: `name:function(…)`.
for (const [, from, to] of mapping.imports) {
  replace(new RegExp(`(?<![\\w$])${escape(from)}(?=:)`, 'g'), to, `the import ${from}`);
}
// Exports are read as properties of the instance's exports: `wasm.name`. Some (the abort
// handler) are there for other hosts and unused by the glue; memory is always used.
for (const [from, to] of mapping.exports) {
  const optional = from !== 'memory';
  replace(new RegExp(`\\bwasm\\.${escape(from)}(?![\\w$])`, 'g'), `wasm.${to}`, `the export ${from}`, optional);
}
// `initSync` (instantiating without a fetch) is used by neither the loader nor the entry:
// its function and export go (~50 B gzip). It ends at the first `}` in column 0.
replace(/^function initSync\(module\) \{\n[\s\S]*?\n\}\n/m, '', 'the initSync function');
replace(/^export \{ initSync, /m, 'export { ', 'the initSync export');
writeFileSync(outFile, glue);
