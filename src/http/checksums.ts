import { Problem } from '../errors.js';

/** Expected digests sent with an upload, base64 as on the wire. */
export interface ExpectedDigests {
  sha256?: string | undefined;
  md5?: string | undefined;
  /** Hex, from ownCloud's `OC-Checksum: SHA1:<hex>`. */
  sha1?: string | undefined;
}

/**
 * `Content-Digest: sha-256=:<base64>:` (RFC 9530 §2, a structured-field dictionary; other
 * algorithms are ignored) and `Content-MD5: <base64>` (RFC 1864).
 */
export function parseDigests(contentDigest: string | undefined, contentMd5: string | undefined): ExpectedDigests {
  const expected: ExpectedDigests = {};
  if (contentDigest !== undefined) {
    for (const member of contentDigest.split(',')) {
      const m = /^\s*([a-z0-9-]+)\s*=\s*:([A-Za-z0-9+/=]*):\s*$/i.exec(member);
      if (!m) throw new Problem('bad-request', `malformed Content-Digest member ${JSON.stringify(member.trim())}`);
      if (m[1]?.toLowerCase() === 'sha-256') expected.sha256 = m[2];
    }
  }
  if (contentMd5 !== undefined) {
    if (!/^[A-Za-z0-9+/]{22}==$/.test(contentMd5.trim())) throw new Problem('bad-request', 'Content-MD5 is not a base64 MD5 digest');
    expected.md5 = contentMd5.trim();
  }
  return expected;
}

/**
 * Add ownCloud's `OC-Checksum: <TYPE>:<hex>` (sent by ownCloud and Nextcloud clients and by
 * rclone's owncloud and nextcloud vendors; several may be given, separated by spaces) to
 * `expected`: SHA1 and MD5 are checked, other types (ADLER32) are ignored. 400 when malformed;
 * 400 `checksum-mismatch` when it names another MD5 than `Content-MD5` (both cannot hold).
 */
export function withOcChecksum(expected: ExpectedDigests, header: string | undefined): ExpectedDigests {
  if (header === undefined || header.trim() === '') return expected;
  const out = { ...expected };
  for (const member of header.trim().split(/\s+/)) {
    const m = /^([A-Za-z0-9]+):([0-9a-fA-F]+)$/.exec(member);
    if (!m) throw new Problem('bad-request', `malformed OC-Checksum ${JSON.stringify(member)}; expected TYPE:<hex>`);
    const [type, hex] = [(m[1] as string).toUpperCase(), (m[2] as string).toLowerCase()];
    if (type === 'SHA1') {
      if (hex.length !== 40) throw new Problem('bad-request', 'OC-Checksum SHA1 is not 40 hex digits');
      out.sha1 = hex;
    } else if (type === 'MD5') {
      if (hex.length !== 32) throw new Problem('bad-request', 'OC-Checksum MD5 is not 32 hex digits');
      const md5 = Buffer.from(hex, 'hex').toString('base64');
      if (out.md5 !== undefined && out.md5 !== md5) throw new Problem('checksum-mismatch', `OC-Checksum MD5 and Content-MD5 name different digests; nothing was stored`);
      out.md5 = md5;
    }
  }
  return out;
}

/** Throws 400 `checksum-mismatch` when a sent digest differs from the bytes received. */
export function verifyDigests(expected: ExpectedDigests, actual: { sha256Base64: string; md5Base64: string | undefined; sha1?: string | undefined }): void {
  if (expected.sha1 !== undefined && expected.sha1 !== actual.sha1) {
    throw new Problem('checksum-mismatch', `OC-Checksum SHA1 is ${expected.sha1} but the body hashes to ${actual.sha1 ?? '?'}; nothing was stored`);
  }
  if (expected.sha256 !== undefined && expected.sha256 !== actual.sha256Base64) {
    throw new Problem('checksum-mismatch', `Content-Digest sha-256 is ${expected.sha256} but the body hashes to ${actual.sha256Base64}; nothing was stored`);
  }
  if (expected.md5 !== undefined && expected.md5 !== actual.md5Base64) {
    throw new Problem('checksum-mismatch', `Content-MD5 is ${expected.md5} but the body hashes to ${actual.md5Base64 ?? '?'}; nothing was stored`);
  }
}
