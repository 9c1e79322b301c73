// drop-dead-table-entries.mjs, on small modules shaped like wasm-bindgen's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import binaryen from 'binaryen';
import { dropDeadTableEntries, TRAP } from './drop-dead-table-entries.mjs';

const SCRIPT = join(import.meta.dirname, 'drop-dead-table-entries.mjs');
const WB = 'wasm_bindgen[754af61803053eee]';
const JS = 'js_sys[f49211afb67d2c1e]';
const USED_SHIM = `${WB}::convert::closures::_::invoke::<${WB}::JsValue, ${WB}::JsValue, ${WB}::JsValue, (), true>`;
const UNUSED_SHIM = `${WB}::convert::closures::_::invoke::<f64, u32, ${JS}::Float64Array, (), true>`;
const HANDLER = '<orbit_sdk[c7d88f6b0e3b457]::listen::{closure#0} as core::ops::function::FnOnce<()>>::call_once';
const WAKERS = ['raw_clone', 'raw_wake', 'raw_wake_by_ref', 'raw_drop'].map(
  (f) => `${JS}::futures::jspi::task_waker::${f}`,
);
const WAKE = `<${JS}::futures::jspi::SpawnedTask>::wake`;
const POLL = `<${JS}::futures::jspi::SpawnedTask>::poll`;

/** A module whose function table holds `table` (at 1), with `others` besides, and the
 * closure shim exported as wasm-bindgen exports it: through an "externref shim". */
function module({ table, others = [], names = true, exportTable = false }) {
  const m = new binaryen.Module();
  for (const name of new Set([...table, ...others, `${USED_SHIM} externref shim`])) {
    m.addFunction(name, binaryen.none, binaryen.none, [], m.nop());
  }
  m.addTable('table', table.length + 1, table.length + 1);
  m.addActiveElementSegment('table', 'elem', table, m.i32.const(1));
  m.addFunctionExport(`${USED_SHIM} externref shim`, 'invoke_shim');
  if (exportTable) m.addTableExport('table', 'table');
  binaryen.setDebugInfo(names);
  const bytes = m.emitBinary();
  binaryen.setDebugInfo(false);
  m.dispose();
  return bytes;
}

test('shims of closures never made and the JSPI wakers are pointed at a trap', () => {
  const table = [USED_SHIM, HANDLER, UNUSED_SHIM, ...WAKERS];
  const { bytes, entries } = dropDeadTableEntries(module({ table, others: [WAKE] }));
  assert.deepEqual(entries, [USED_SHIM, HANDLER, TRAP, TRAP, TRAP, TRAP, TRAP]);
  assert.ok(WebAssembly.validate(bytes));
  // The dead functions are now unreferenced, for wasm-opt to remove.
  const out = binaryen.readBinary(bytes);
  assert.equal(out.getNumFunctions(), table.length + 3);
  out.dispose();
});

test('the wakers stay while other JSPI code could make a waker', () => {
  const table = [UNUSED_SHIM, ...WAKERS];
  const { entries } = dropDeadTableEntries(module({ table, others: [WAKE, POLL] }));
  assert.deepEqual(entries, [TRAP, ...WAKERS]);
});

test('a table with nothing dead is left as it was', () => {
  const { entries } = dropDeadTableEntries(module({ table: [USED_SHIM, HANDLER] }));
  assert.deepEqual(entries, [USED_SHIM, HANDLER]);
});

test('an exported table is refused: its entries may be called from outside', () => {
  assert.throws(
    () => dropDeadTableEntries(module({ table: [UNUSED_SHIM], exportTable: true })),
    /the function table is exported/,
  );
});

test('a .wasm without function names stops the build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orbit-table-'));
  try {
    const input = join(dir, 'in.wasm');
    writeFileSync(input, module({ table: [UNUSED_SHIM, HANDLER], names: false }));
    const r = spawnSync(process.execPath, [SCRIPT, input, join(dir, 'out.wasm')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no function names; build it with CARGO_PROFILE_RELEASE_STRIP=false/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the command line writes the module and says how many entries were dead', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orbit-table-'));
  try {
    const input = join(dir, 'in.wasm');
    writeFileSync(input, module({ table: [USED_SHIM, UNUSED_SHIM] }));
    const r = spawnSync(process.execPath, [SCRIPT, input, join(dir, 'out.wasm')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 of 2 entries dead/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
