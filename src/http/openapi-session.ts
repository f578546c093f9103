/** The web UI's part of the OpenAPI document: its page and assets, and `/session` (sign-in, who am I, sign-out). */
import { problem, type PathItem, unexpected } from './openapi-schemas.js';

export const sessionSchemas = {
  Whoami: {
    type: 'object',
    description: 'Who the caller is. In open mode everyone is `anonymous`; with users, `user` is null until signed in.',
    required: ['mode', 'user'],
    properties: {
      mode: { enum: ['open', 'users'] },
      user: { oneOf: [{ type: 'null' }, { type: 'object', required: ['name', 'role'], properties: { name: { type: 'string' }, role: { enum: ['admin', 'user', 'read-only'] } } }] },
      csrf: { type: 'string', description: 'The CSRF token of the session cookie: send it as `X-CSRF-Token` on every request that changes something.' },
      expiresAt: { type: 'string', format: 'date-time', description: 'When the session ends.' },
    },
  },
  SignIn: {
    type: 'object',
    required: ['name', 'password'],
    properties: { name: { type: 'string' }, password: { type: 'string', format: 'password' } },
  },
};

const whoami = { 'application/json': { schema: { $ref: '#/components/schemas/Whoami' } } };
const ui = { tags: ['ui'], security: [{}] };

export const sessionPaths: Record<string, PathItem> = {
  '/': {
    get: {
      ...ui,
      operationId: 'webUi',
      summary: 'The web UI (built by `npm run build`), under a strict Content-Security-Policy',
      responses: {
        '200': { description: 'The page.', content: { 'text/html': {} } },
        '304': { description: 'Unchanged since the `ETag` sent in `If-None-Match`.' },
        default: unexpected,
      },
    },
  },
  '/ui/{asset}': {
    parameters: [{ name: 'asset', in: 'path', required: true, schema: { type: 'string' }, description: '`app.js`, `app.css` or `app.js.LEGAL.txt`' }],
    get: {
      ...ui,
      operationId: 'webUiAsset',
      summary: "One of the web UI's files",
      responses: {
        '200': { description: 'The file.', content: { 'text/javascript': {}, 'text/css': {}, 'text/plain': {} } },
        '304': { description: 'Unchanged since the `ETag` sent in `If-None-Match`.' },
        '404': problem(404, 'No such asset', ['not-found']),
        default: unexpected,
      },
    },
  },
  '/session': {
    get: {
      ...ui,
      operationId: 'whoami',
      summary: 'Who am I: the mode, the user (by session cookie, or Basic/Bearer), and the session’s CSRF token',
      responses: { '200': { description: 'The caller.', content: whoami }, '401': problem(401, 'Basic or Bearer credentials sent and wrong', ['unauthorized']), default: unexpected },
    },
    post: {
      ...ui,
      operationId: 'signIn',
      summary: 'Sign in: sets the HttpOnly, SameSite=Strict `kluis_session` cookie (12 hours)',
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SignIn' } } } },
      responses: {
        '200': { description: 'Signed in; `Set-Cookie` carries the session.', content: whoami },
        '400': problem(400, 'The body is not JSON with `name` and `password`', ['bad-request']),
        '401': problem(401, 'The name or the password is wrong', ['unauthorized']),
        '403': problem(403, "Another site's page sent it (`Sec-Fetch-Site`, `Origin`)", ['csrf']),
        '404': problem(404, 'No users are configured: nobody signs in', ['not-found']),
        '413': problem(413, 'The body is over 4 KiB', ['too-large']),
        '415': problem(415, 'The body is not `application/json`', ['unsupported-media-type']),
        default: unexpected,
      },
    },
    delete: {
      ...ui,
      operationId: 'signOut',
      summary: 'Sign out: the cookie is cleared',
      responses: { '204': { description: 'Signed out.' }, default: unexpected },
    },
  },
};
