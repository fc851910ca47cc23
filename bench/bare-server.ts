/**
 * The ceiling for webhook acknowledgements: a bare Node http server that reads the body and answers
 * 200, nothing else (no signature check, no dedupe, no flow). Prints `{"url": ...}`.
 */
import http from 'http';
import type { AddressInfo } from 'net';

const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }) + '\n');
});
