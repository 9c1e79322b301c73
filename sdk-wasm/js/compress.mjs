// Writes FILE.gz and FILE.br beside each FILE, deterministically (no names, no timestamps),
// and prints raw/gzip/brotli sizes with the tracker's total transfer size.
// Usage: node compress.mjs [--max-gzip BYTES] DIR FILE... [-- EXTRA...]   (names relative to
// DIR; the FILEs are what every visitor downloads and are totalled, the EXTRAs are fetched
// only in some cases). With --max-gzip, a gzip total above BYTES fails (exit status 1).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

let argv = process.argv.slice(2);
let maxGzip = null;
if (argv[0] === '--max-gzip') {
  maxGzip = Number(argv[1]);
  if (!Number.isInteger(maxGzip) || maxGzip <= 0) {
    console.error(`compress: --max-gzip needs a whole number of bytes, not '${argv[1]}'`);
    process.exit(2);
  }
  argv = argv.slice(2);
}
const [dir, ...args] = argv;
const split = args.indexOf('--');
const names = split < 0 ? args : args.slice(0, split);
const extras = split < 0 ? [] : args.slice(split + 1);
const rows = [];
for (const name of [...names, ...extras]) {
  const raw = readFileSync(join(dir, name));
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  writeFileSync(join(dir, name + '.gz'), gz);
  writeFileSync(join(dir, name + '.br'), br);
  rows.push({ name, raw: raw.length, gzip: gz.length, brotli: br.length });
}
const pad = (v, n) => String(v).padStart(n);
console.log('file'.padEnd(34) + pad('raw', 9) + pad('gzip', 9) + pad('brotli', 9));
for (const r of rows) console.log(r.name.padEnd(34) + pad(r.raw, 9) + pad(r.gzip, 9) + pad(r.brotli, 9));
const total = rows.filter((r) => names.includes(r.name)).reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
console.log('total transfer (script tag: NAME.js + .wasm)'.padEnd(34) + '\n' + ''.padEnd(34) + pad(total.raw, 9) + pad(total.gzip, 9) + pad(total.brotli, 9));
if (maxGzip !== null && total.gzip > maxGzip) {
  console.error(
    `compress: ${names.join(' + ')} is ${total.gzip} bytes gzip, over its ceiling of ${maxGzip} ` +
      '(scripts/build-sdk). A jump of kilobytes usually means core::fmt, serde reading, a regex ' +
      'crate or str::to_lowercase came in (SIZE.md); find it with twiggy (README, "The SDK bundle").',
  );
  process.exit(1);
}
