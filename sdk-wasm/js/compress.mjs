// Writes FILE.gz and FILE.br beside each FILE, deterministically (no names, no timestamps),
// and prints raw/gzip/brotli sizes with the tracker's total transfer size. The .gz is made
// with Zopfli (500 rounds): a standard gzip stream that any browser reads, about 5 % smaller
// than gzip -9 (printed beside it), in seconds per bundle; the collector serves these files
// as they are to clients that take gzip but not brotli.
// Usage: node compress.mjs [--max-gzip BYTES] DIR FILE... [-- EXTRA...]   (names relative to
// DIR; the FILEs are what every visitor downloads and are totalled, the EXTRAs are fetched
// only in some cases). With --max-gzip, a gzip total above BYTES fails (exit status 1).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync, brotliCompressSync, constants } from 'node:zlib';
import zopfli from '@gfx/zopfli';

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
  // 500 rounds rather than Zopfli's 15: ~70 B less across the bundles, ~10 s more.
  const gz = Buffer.from(await zopfli.gzipAsync(raw, { numiterations: 500 }));
  if (!gunzipSync(gz).equals(raw)) {
    console.error(`compress: the gzip stream of ${name} does not give the file back`);
    process.exit(1);
  }
  const gzip9 = gzipSync(raw, { level: 9 }).length;
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  writeFileSync(join(dir, name + '.gz'), gz);
  writeFileSync(join(dir, name + '.br'), br);
  rows.push({ name, raw: raw.length, gzip: gz.length, brotli: br.length, gzip9 });
}
const pad = (v, n) => String(v).padStart(n);
const line = (name, r) => console.log(name.padEnd(34) + pad(r.raw, 9) + pad(r.gzip, 9) + pad(r.brotli, 9) + pad(r.gzip9, 9));
console.log('file'.padEnd(34) + pad('raw', 9) + pad('gzip', 9) + pad('brotli', 9) + pad('gzip -9', 9));
for (const r of rows) line(r.name, r);
const total = { raw: 0, gzip: 0, brotli: 0, gzip9: 0 };
for (const r of rows.filter((r) => names.includes(r.name))) for (const k in total) total[k] += r[k];
console.log('total transfer (script tag: NAME.js + .wasm)');
line('', total);
if (maxGzip !== null && total.gzip > maxGzip) {
  console.error(
    `compress: ${names.join(' + ')} is ${total.gzip} bytes gzip, over its ceiling of ${maxGzip} ` +
      '(scripts/build-sdk). A jump of kilobytes usually means core::fmt, serde reading, a regex ' +
      'crate or str::to_lowercase came in; find it with twiggy (README, "The SDK bundle").',
  );
  process.exit(1);
}
