/**
 * Nephele (a TypeScript WebDAV server on npm) as the bench's Node peer: its file-system adapter
 * on the directory argv[2], no authentication, on Express, one process, on 127.0.0.1 and a free
 * port. Prints `{"port":N}` once it listens. Run by _peers.ts; not a test.
 */
import http from 'node:http';
import FileSystemAdapter from '@nephele/adapter-file-system';
import NoneAuthenticator from '@nephele/authenticator-none';
import express from 'express';
import nepheleServer from 'nephele';

const root = process.argv[2];
if (!root) throw new Error('usage: _nephele-server.ts <root>');
const app = express();
app.use('/', nepheleServer({ adapter: new FileSystemAdapter({ root }), authenticator: new NoneAuthenticator() }));
const server = http.createServer(app);
// Nephele's own advice for large files: Node's 5-minute request timeout would cut a slow 1 GiB transfer.
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
