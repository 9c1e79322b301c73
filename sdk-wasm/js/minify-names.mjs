// Renames the glue's side of wasm-opt's --minify-imports-and-exports-and-modules, whose
// mapping (JSON on wasm-opt's stdout) this reads. wasm-bindgen names every import
// "./orbit_glue_bg.js" + "__wbg_<name>_<16 hex>"; those ~100 long, random names cost
// ~2.5 KB gzip across the .wasm and the glue, and one-letter names cost nothing.
// Every name must be found where it is expected, or the build stops: a wasm-bindgen
// upgrade that changes the glue's shape fails here, not in a visitor's browser.
// Usage: node minify-names.mjs MAPPING.json WASM GLUE.js OUT.js
import { readFileSync, writeFileSync } from 'node:fs';
import { trimGlue } from './trim-glue.mjs';

const [mappingFile, wasmFile, glueFile, outFile] = process.argv.slice(2);
const mapping = JSON.parse(readFileSync(mappingFile, 'utf8'));
let glue = readFileSync(glueFile, 'utf8');

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\$]/g, '\\$&');
function replace(pattern, by, what, optional = false) {
  let count = 0;
  glue = glue.replace(pattern, (...match) => {
    count += 1;
    return typeof by === 'function' ? by(...match) : by;
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
// The DataView on the memory is made again when the memory grew: growing detaches the old
// buffer and gives `memory.buffer` a new one, so comparing the two is enough in every
// browser (wasm-bindgen reads `buffer.detached` first where there is one).
replace(
  /^    if \(cachedDataViewMemory0 === null \|\| cachedDataViewMemory0\.buffer\.detached === true \|\| \(cachedDataViewMemory0\.buffer\.detached === undefined && cachedDataViewMemory0\.buffer !== (wasm\.[\w$]+)\.buffer\)\) \{\n/m,
  (_, memory) => `    if (cachedDataViewMemory0?.buffer !== ${memory}.buffer) {\n`,
  'the DataView\'s check for a grown memory',
);
// What the tracker never uses, matched exactly as wasm-bindgen writes it (each must be found,
// like the names above).
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
// The comments wasm-bindgen writes in its casts name `arguments` (of the closure type),
// which would keep those imports from becoming arrow functions below.
replace(/^ +\/\/ Cast intrinsic for `.*`\.\n/gm, '', 'the casts\' comments');
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
// wasm-bindgen's loading (fetch, Response and MIME checks, streaming with a fallback,
// `initSync`) goes: orbit.mjs fetches and compiles the .wasm itself (it reports a server
// without the application/wasm type) and hands the default export a compiled
// WebAssembly.Module or the bytes; what is kept is the glue's finalisation, which runs the
// start function. Its caches start empty, and the .wasm is instantiated once (orbit.mjs
// shares one instantiation), so they need no reset. The loading code must hold exactly the
// functions below, with the finalisation as written here.
{
  const tail = glue.match(
    /^let wasmModule, wasmInstance, wasm;\nfunction __wbg_finalize_init\(instance, module\) \{\n    wasmInstance = instance;\n    wasm = instance\.exports;\n    wasmModule = module;\n    cachedDataViewMemory0 = null;\n    cachedUint8ArrayMemory0 = null;\n    (wasm\.[\w$]+)\(\);\n    return wasm;\n\}\n\n(async function __wbg_load\(module, imports\) \{\n[\s\S]*)\nexport \{ initSync, __wbg_init as default \};\n$/m,
  );
  const declared = tail && [...tail[2].matchAll(/^(?:async )?(?:function|let|const) ([\w$]+)/gm)].map((m) => m[1]);
  const expected = ['__wbg_load', 'initSync', '__wbg_init_promise', '__wbg_init', '__wbg_init_once'];
  if (!tail || declared.join() !== expected.join()) {
    console.error('minify-names: the glue\'s loading code not as expected; has wasm-bindgen changed it?');
    process.exit(1);
  }
  glue = glue.replace(
    tail[0],
    () => `let wasm;\nexport default async function (module) {\n    const result = await WebAssembly.instantiate(module, __wbg_get_imports());\n    wasm = (result.instance || result).exports;\n    ${tail[1]}();\n}\n`,
  );
}
try {
  glue = trimGlue(glue);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
writeFileSync(outFile, glue);
