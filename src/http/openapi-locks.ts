/** The OpenAPI operations of /files check-out locks: CHECKOUT, UNLOCK, and the refused WebDAV LOCK. */
import { draining, header, json, params, precondition, problem, readOnly, unauthorized, unavailable, unexpected, type Operation } from './openapi-schemas.js';

/** Why /files refuses a desktop file's name. */
export const DESKTOP = "a desktop file's name (`KLUIS_DESKTOP_FILES`: such files are kept on /dav only)";

export function lockMethod(operationId: string, root: boolean): Operation {
  return {
    operationId,
    summary: 'WebDAV LOCK is not served; use CHECKOUT or `POST ?checkout`',
    tags: ['locks'],
    responses: {
      '405': problem(405, 'LOCK belongs to a WebDAV mount; the `Allow` header names the methods served'),
      ...(root ? {} : { '400': problem(400, 'Invalid path', ['invalid-path']) }),
      '401': unauthorized,
      '403': problem(403, 'A read-only user', ['forbidden', 'csrf']),
      '503': draining,
      default: unexpected,
    },
  };
}

export const checkoutOp: Operation = {
  operationId: 'checkoutFile',
  summary: "Take the lock, or refresh it with the holder's token (the same as `POST ?checkout`)",
  tags: ['locks'],
  description: 'Works on a path with no file yet (reserves it). The answer is the only place the token is shown.',
  parameters: params('Timeout', 'Label', 'LockToken', 'If', 'Base', 'IfMatch', 'IfNoneMatch', 'IfUnmodifiedSince'),
  responses: {
    '200': {
      description: 'The lock, with its token.',
      headers: { 'Lock-Token': header('LockToken', true), Timeout: header('Timeout', true), Location: header('Location', true) },
      content: json('Lock'),
    },
    '400': problem(400, 'Invalid path, or a malformed `?base`', ['invalid-path', 'bad-request']),
    '401': unauthorized,
    '403': problem(403, `${readOnly}, or ${DESKTOP}`, ['forbidden', 'csrf', 'desktop-file']),
    '409': problem(409, 'Checked out by someone else, the token names no live lock (a refresh of an expired lock), or `?base` is not the current version', [
      'locked',
      'modified',
      'not-checked-out',
      'conflict',
    ]),
    '412': precondition,
    '503': unavailable,
    default: unexpected,
  },
};

export const unlockOp: Operation = {
  operationId: 'unlockFile',
  summary: 'Release the lock without a new version (the same as `POST ?uncheckout`)',
  tags: ['locks'],
  parameters: params('LockToken', 'If', 'Force'),
  responses: {
    '204': { description: 'The lock is released.' },
    '400': problem(400, 'Invalid path, or a malformed `?base`', ['invalid-path', 'bad-request']),
    '401': unauthorized,
    '403': problem(403, `${readOnly}, \`?force\` by a non-admin, or ${DESKTOP}`, ['forbidden', 'csrf', 'desktop-file']),
    '409': problem(409, 'Checked out by someone else, or no live lock for the token', ['locked', 'not-checked-out']),
    '503': unavailable,
    default: unexpected,
  },
};
