/** `npm run hash-secret -- <secret>` prints the scrypt hash to put in a users file. */
import { hashSecret } from './auth/secrets.js';

const secret = process.argv[2];
if (!secret) {
  process.stderr.write('usage: npm run hash-secret -- <password or token>\n');
  process.exit(2);
}
process.stdout.write(`${await hashSecret(secret)}\n`);
