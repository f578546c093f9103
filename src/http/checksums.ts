import { Problem } from '../errors.js';

/** Expected digests sent with an upload, base64 as on the wire. */
export interface ExpectedDigests {
  sha256?: string | undefined;
  md5?: string | undefined;
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

/** Throws 400 `checksum-mismatch` when a sent digest differs from the bytes received. */
export function verifyDigests(expected: ExpectedDigests, actual: { sha256Base64: string; md5Base64: string | undefined }): void {
  if (expected.sha256 !== undefined && expected.sha256 !== actual.sha256Base64) {
    throw new Problem('checksum-mismatch', `Content-Digest sha-256 is ${expected.sha256} but the body hashes to ${actual.sha256Base64}; nothing was stored`);
  }
  if (expected.md5 !== undefined && expected.md5 !== actual.md5Base64) {
    throw new Problem('checksum-mismatch', `Content-MD5 is ${expected.md5} but the body hashes to ${actual.md5Base64 ?? '?'}; nothing was stored`);
  }
}
