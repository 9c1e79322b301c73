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
// What the tracker never uses, matched exactly as wasm-bindgen writes it (each must be found,
// like the names above). The Tracker lives for the page's lifetime (the entry keeps it and
// never frees it), so its `free`, `Symbol.dispose` and FinalizationRegistry go; closures keep
// theirs (CLOSURE_DTORS frees the callbacks JavaScript owns).
replace(
  /^    __destroy_into_raw\(\) \{\n[\s\S]*?\n    \}\n    free\(\) \{\n[\s\S]*?\n    \}\n/m,
  '',
  'the Tracker\'s free method',
);
replace(/^        TrackerFinalization\.register\(obj, obj\.__wbg_ptr, obj\);\n/m, '', 'the Tracker\'s registration');
replace(/^if \(Symbol\.dispose\) Tracker\.prototype\[Symbol\.dispose\] = Tracker\.prototype\.free;\n/m, '', 'Symbol.dispose');
replace(
  /^const TrackerFinalization = \(typeof FinalizationRegistry === 'undefined'\)\n.*\n.*\n/m,
  '',
  'the Tracker\'s FinalizationRegistry',
);
// Every string goes to the wasm with its realloc, so the branch for a missing one goes.
const stringCalls = [...glue.matchAll(/passStringToWasm0\(([^()]*)\)/g)];
if (stringCalls.length < 2 || stringCalls.some(([, args]) => args.split(',').length !== 3)) {
  console.error('minify-names: a passStringToWasm0 call without realloc; has wasm-bindgen changed it?');
  process.exit(1);
}
replace(
  /^function passStringToWasm0\(arg, malloc, realloc\) \{\n    if \(realloc === undefined\) \{\n[\s\S]*?\n    \}\n/m,
  'function passStringToWasm0(arg, malloc, realloc) {\n',
  'the passStringToWasm0 branch without realloc',
);
// Every browser with WebAssembly has TextEncoder#encodeInto.
replace(
  /^if \(!\('encodeInto' in cachedTextEncoder\)\) \{\n[\s\S]*?\n\}\n/m,
  '',
  'the encodeInto polyfill',
);
// orbit.mjs passes `{ module_or_path }`: the warning for the deprecated form goes.
replace(
  /^        if \(Object\.getPrototypeOf\(module_or_path\) === Object\.prototype\) \{\n            \(\{module_or_path\} = module_or_path\)\n        \} else \{\n            console\.warn\('using deprecated parameters for the initialization function; pass a single object instead'\)\n        \}\n/m,
  '        ({module_or_path} = module_or_path)\n',
  'the deprecated-parameters warning',
);
// The warning for a .wasm served without its type, shorter; it still names the type.
replace(
  /console\.warn\("`WebAssembly\.instantiateStreaming` failed because your server does not serve Wasm with `application\/wasm` MIME type\. Falling back to `WebAssembly\.instantiate` which is slower\. Original error:\\n", e\);/,
  'console.warn("[orbit] serve the .wasm as application/wasm to compile it while it downloads:", e);',
  'the MIME type warning',
);
// Imports that catch exceptions are `function() { return handleError(function (…) {…},
// arguments); }`: handleError makes the wrapper instead, written once.
const catching = glue.split('function() { return handleError(function (').length - 1;
replace(/function\(\) \{ return handleError\(function \(/g, 'handleError(function (', 'the catching imports');
replace(/\n        \}, arguments\); \},\n/g, '\n        }),\n', 'the ends of the catching imports');
const handler = glue.match(
  /^function handleError\(f, args\) \{\n    try \{\n        return f\.apply\(this, args\);\n    \} catch \(e\) \{\n        const idx = addToExternrefTable0\(e\);\n        (wasm\.[\w$]+)\(idx\);\n    \}\n\}\n/m,
);
if (!handler || glue.split('handleError(function (').length - 1 !== catching || glue.includes('arguments); }')) {
  console.error('minify-names: handleError or its callers not as expected; has wasm-bindgen changed them?');
  process.exit(1);
}
glue = glue.replace(
  handler[0],
  `function handleError(f) {\n    return function () {\n        try {\n            return f.apply(this, arguments);\n        } catch (e) {\n            ${handler[1]}(addToExternrefTable0(e));\n        }\n    };\n}\n`,
);
// The imports (and the functions handleError wraps) as arrow functions: esbuild then writes
// `t=>t.location`, not `function(t){return t.location}`. Only those that use neither `this`
// nor `arguments`, which arrows do not have.
{
  const open = glue.indexOf('    const import0 = {\n');
  const close = glue.indexOf('\n    };\n    return {\n', open);
  if (open < 0 || close < 0) {
    console.error('minify-names: the import object not found in the glue; has wasm-bindgen changed it?');
    process.exit(1);
  }
  let arrows = 0;
  const imports = glue.slice(open, close).replace(
    /^(        [\w$]+: (?:handleError\()?)function ?\(([^()]*)\) \{\n([\s\S]*?\n        \}\)?,?)$/gm,
    (whole, key, params, body) => {
      if (/\b(this|arguments)\b/.test(body)) return whole;
      arrows += 1;
      return `${key}(${params}) => {\n${body}`;
    },
  );
  if (arrows === 0) {
    console.error('minify-names: no import written as an arrow function; has wasm-bindgen changed them?');
    process.exit(1);
  }
  glue = glue.slice(0, open) + imports + glue.slice(close);
}
// The instance and module are kept by nothing: only the exports are.
replace(/^let wasmModule, wasmInstance, wasm;\n/m, 'let wasm;\n', 'the glue\'s instance variables');
replace(/^    wasmInstance = instance;\n/m, '', 'the instance assignment');
replace(/^    wasmModule = module;\n/m, '', 'the module assignment');
// `initSync` (instantiating without a fetch) is used by neither the loader nor the entry:
// its function and export go (~50 B gzip). It ends at the first `}` in column 0.
replace(/^function initSync\(module\) \{\n[\s\S]*?\n\}\n/m, '', 'the initSync function');
replace(/^export \{ initSync, /m, 'export { ', 'the initSync export');
writeFileSync(outFile, glue);
