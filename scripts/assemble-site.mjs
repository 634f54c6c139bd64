// Assembles a built site from wasm-bindgen's output, the stylesheet and the public assets:
//
//   node scripts/assemble-site.mjs hydrate BINDGEN_DIR SITE_DIR [BROTLI_QUALITY]
//   node scripts/assemble-site.mjs csr     BINDGEN_DIR SITE_DIR [BROTLI_QUALITY]
//
// The bundle (JS glue, WebAssembly, CSS) is named after its content, `skytrace.<hash>.*`, so
// browsers may cache it for a year: `hydrate` writes the hash to SITE_DIR/hash.txt, where the
// server reads it; `csr` writes an index.html that loads it. The country database and the chart
// script are copied in from the geolocation data when installed. Every text and WebAssembly file
// gets a brotli (.br) and a gzip (.gz) copy beside it, which the server sends to browsers that
// accept them: brotli's best quality (11) by default, a quicker one for test builds. Uses only
// Node's standard library.
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [mode, bindgenDir, siteDir, quality = '11'] = process.argv.slice(2);
if (!['hydrate', 'csr'].includes(mode) || !bindgenDir || !siteDir) {
  console.error('usage: assemble-site.mjs hydrate|csr BINDGEN_DIR SITE_DIR');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const geo = join(root, 'geodata', 'node_modules');
const NAME = 'skytrace';

rmSync(siteDir, { recursive: true, force: true });
const pkg = mode === 'hydrate' ? join(siteDir, 'pkg') : siteDir;
mkdirSync(pkg, { recursive: true });

const js = readFileSync(join(bindgenDir, `${NAME}.js`));
const wasm = readFileSync(join(bindgenDir, `${NAME}_bg.wasm`));
const css = readFileSync(join(root, 'style', 'main.css'));
const hash = createHash('sha256').update(js).update(wasm).update(css).digest('hex').slice(0, 16);
const bundle = `${NAME}.${hash}`;
writeFileSync(join(pkg, `${bundle}.js`), js);
writeFileSync(join(pkg, `${bundle}.wasm`), wasm);
writeFileSync(join(pkg, `${bundle}.css`), css);
// Modules the glue imports by relative path (wasm-bindgen's inline JavaScript), if any.
if (existsSync(join(bindgenDir, 'snippets'))) {
  cpSync(join(bindgenDir, 'snippets'), join(pkg, 'snippets'), { recursive: true });
}

cpSync(join(root, 'public'), siteDir, { recursive: true });
const installed = [
  ['@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb', 'geo'],
  ['echarts/dist/echarts.min.js', 'vendor'],
];
for (const [file, folder] of installed) {
  const from = join(geo, file);
  if (existsSync(from)) {
    mkdirSync(join(siteDir, folder), { recursive: true });
    cpSync(from, join(siteDir, folder, file.split('/').pop()));
  } else {
    console.warn(`not installed, left out: ${from} (run ./dev setup)`);
  }
}

if (mode === 'hydrate') {
  writeFileSync(join(siteDir, 'hash.txt'), `js: ${hash}\nwasm: ${hash}\ncss: ${hash}\n`);
} else {
  const template = readFileSync(join(root, 'frontend', 'index.html'), 'utf8');
  writeFileSync(join(siteDir, 'index.html'), template.replaceAll('{bundle}', bundle));
}

// Precompressed copies of what is worth compressing.
const compressible = new Set(['.js', '.wasm', '.css', '.html', '.csv', '.mmdb', '.json', '.svg']);
let [raw, brotli, gzip] = [0, 0, 0];
const visit = (dir) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      visit(path);
    } else if (compressible.has(extname(path))) {
      const content = readFileSync(path);
      const br = brotliCompressSync(content, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: Number(quality),
          [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
        },
      });
      const gz = gzipSync(content, { level: Number(quality) >= 9 ? 9 : 6 });
      writeFileSync(`${path}.br`, br);
      writeFileSync(`${path}.gz`, gz);
      raw += content.length;
      brotli += br.length;
      gzip += gz.length;
    }
  }
};
visit(siteDir);
const mb = (bytes) => `${(bytes / 1048576).toFixed(2)} MB`;
console.log(
  `${siteDir}: bundle ${bundle} (wasm ${mb(wasm.length)}); ` +
    `${mb(raw)} of text and WebAssembly, ${mb(brotli)} as brotli, ${mb(gzip)} as gzip`,
);
