/**
 * The folder and move part of the OpenAPI document (src/http/openapi.ts): `?mkdir`, `?move-to`
 * and `?deleted` on /files, their parameters and answers (docs/api.md, Folders, moves and undelete).
 */
import { flag, type Parameter, ref, type Schema } from './openapi-schemas.js';

export const folderParameters: Record<string, Parameter> = {
  Mkdir: flag('mkdir', 'On a folder URL: make the folder, and the missing ones above it (201; 200 when it is there).'),
  MoveTo: {
    name: 'move-to',
    in: 'query',
    description:
      'Move the file (or, on a folder URL, the folder with everything in it) to this path, relative to /files/, given as text and encoded as any query value (`encodeURIComponent`); a folder path ends in `/`. Missing folders above it are made.',
    schema: { type: 'string' },
  },
  Overwrite: flag('overwrite', 'With `?move-to`: replace what is at the destination (200) instead of answering 412.'),
  Deleted: flag('deleted', 'List deleted files too (`deleted: true`, with their last version that has content), and folders deleted on /dav or moved away.'),
};

const moved = { from: { type: 'string', description: 'The path the file or folder had.' } };

export const folderSchemas: Record<string, Schema> = {
  Folder: {
    type: 'object',
    description: 'The answer of `?mkdir`.',
    required: ['path', 'created'],
    properties: { path: { type: 'string', description: '`<dir>/`, or empty for the root.' }, created: { type: 'boolean', description: 'False when the folder was there already.' } },
  },
  MoveResult: {
    description: 'The answer of `?move-to`: for a file, its version written at the destination with `path` and `from`; for a folder, how many files moved.',
    oneOf: [
      { allOf: [ref('schemas', 'Version'), { type: 'object', required: ['path', 'from'], properties: moved }] },
      {
        type: 'object',
        required: ['path', 'from', 'files', 'kept'],
        properties: {
          path: { type: 'string', description: 'The new folder path, `<dir>/`.' },
          ...moved,
          files: { type: 'integer', minimum: 0, description: 'Files moved.' },
          kept: { type: 'array', items: { type: 'string' }, description: 'Files left at the source: written to while the folder moved.' },
        },
      },
    ],
  },
};
