// Serves the offline (CSR) build as any static host would, with the single-page-app fallback
// (unknown paths get index.html) so deep links work. Usage: node static-server.mjs DIR PORT
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const [root, port] = [resolve(process.argv[2]), Number(process.argv[3])];
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.csv': 'text/csv',
  '.ico': 'image/x-icon',
};

async function fileFor(urlPath) {
  const candidate = join(root, normalize(decodeURIComponent(urlPath)).replace(/^(\.\.[/\\])+/, ''));
  if (candidate.startsWith(root)) {
    const info = await stat(candidate).catch(() => null);
    if (info?.isFile()) return candidate;
  }
  return join(root, 'index.html');
}

createServer(async (request, response) => {
  const path = await fileFor(new URL(request.url, 'http://localhost').pathname);
  try {
    const body = await readFile(path);
    response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    response.end(body);
  } catch {
    response.writeHead(404).end('not found');
  }
}).listen(port, '127.0.0.1');
