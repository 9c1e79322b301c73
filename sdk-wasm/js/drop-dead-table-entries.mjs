// Empties the function table's entries that nothing can call, so that wasm-opt drops the
// functions behind them (~1.4 KB raw, ~0.6 KB gzip of each bundle). The linker puts every
// function whose address Rust takes into the table, and wasm-opt must keep all of them
// (a call through the table takes any index). Two kinds are dead once wasm-bindgen has run:
// - wasm-bindgen's closure shims (`convert::closures::_::invoke::<…>`), whose addresses
//   only js-sys's describe functions took, for closure types the tracker never makes;
//   wasm-bindgen removed those functions, and JavaScript reaches the shims of the closures
//   the tracker does make through exports (kept here), never through the table;
// - js-sys's JSPI task wakers (`futures::jspi::task_waker::raw_*`, behind the
//   `#[no_mangle] __wbg_jspi_task_poll` export, which wasm-bindgen deletes without JSPI),
//   reachable only from their own vtable, when no other JSPI code remains to use it.
// Each dead entry is pointed at one function that traps. It reads the function names the
// linker wrote (the bundle is compiled with them; wasm-opt then strips them), and stops
// the build when the module is not as expected: a toolchain upgrade fails here, not in a
// visitor's browser.
// Usage: node drop-dead-table-entries.mjs IN.wasm OUT.wasm
import { readFileSync, writeFileSync } from 'node:fs';
import binaryen from 'binaryen';

const INVOKE = '::convert::closures::_::invoke::<';
const JSPI = '::futures::jspi::';
const WAKER = /::futures::jspi::task_waker::raw_(clone|wake|wake_by_ref|drop)$/;
// What the wakers call; anything else of JSPI's (a task's poll, a spawn) would use them.
const JSPI_ALLOWED = [WAKER, /::futures::jspi::SpawnedTask>::wake$/, /drop_glue::<.*::futures::jspi::SpawnedTask>>$/];
/** The function every dead entry is pointed at: it traps, like a call of a null entry. */
export const TRAP = '__orbit_dead_table_entry';

function fail(message) {
  throw new Error(`drop-dead-table-entries: ${message}`);
}

/** The module with the dead entries of its one function table pointed at a trap, and the
 * table's entries (function names) as written. */
export function dropDeadTableEntries(bytes) {
  const module = binaryen.readBinary(bytes);
  const names = [];
  for (let i = 0; i < module.getNumFunctions(); i += 1) {
    names.push(binaryen.getFunctionInfo(module.getFunctionByIndex(i)).name);
  }
  if (!names.some((n) => n.includes('::'))) {
    fail('the .wasm has no function names; build it with CARGO_PROFILE_RELEASE_STRIP=false');
  }
  if (module.getNumElementSegments() !== 1) {
    fail(`expected one element segment, found ${module.getNumElementSegments()}`);
  }
  const segment = binaryen.getElementSegmentInfo(module.getElementSegmentByIndex(0));
  const table = binaryen.getTableInfo(module.getTable(segment.table));
  if (table.module) fail('the function table is imported: its entries may be called from outside');
  const exported = new Set();
  for (let i = 0; i < module.getNumExports(); i += 1) {
    const e = binaryen.getExportInfo(module.getExportByIndex(i));
    if (e.kind === binaryen.ExternalTable && e.value === segment.table) {
      fail('the function table is exported: its entries may be called from outside');
    }
    if (e.kind === binaryen.ExternalFunction) exported.add(e.value.replace(/ externref shim$/, ''));
  }
  const offset = binaryen.getExpressionInfo(segment.offset);
  if (offset.id !== binaryen.ConstId || typeof offset.value !== 'number') {
    fail('the element segment\'s offset is not a constant');
  }
  const jspiDead = names.filter((n) => n.includes(JSPI)).every((n) => JSPI_ALLOWED.some((r) => r.test(n)));
  const dead = (name) => (name.includes(INVOKE) && !exported.has(name)) || (jspiDead && WAKER.test(name));
  const entries = segment.data.map((name) => (dead(name) ? TRAP : name));
  if (entries.includes(TRAP)) {
    module.addFunction(TRAP, binaryen.none, binaryen.none, [], module.unreachable());
    module.removeElementSegment(segment.name);
    module.addActiveElementSegment(segment.table, segment.name, entries, module.i32.const(offset.value));
  }
  const out = module.emitBinary();
  module.dispose();
  return { bytes: out, entries };
}

if (process.argv[1] === import.meta.filename) {
  const [input, output] = process.argv.slice(2);
  try {
    const { bytes, entries } = dropDeadTableEntries(readFileSync(input));
    writeFileSync(output, bytes);
    const dropped = entries.filter((name) => name === TRAP).length;
    console.log(`    function table: ${dropped} of ${entries.length} entries dead, dropped`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
