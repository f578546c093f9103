import test from 'ava';
import os from 'node:os';
import { ConfigError, loadConfig } from '../src/config.js';

const GiB = 2 ** 30;

test('defaults', (t) => {
  t.deepEqual(loadConfig({}), {
    port: 8080,
    host: undefined,
    storage: 'fs',
    s3: undefined,
    dataDir: './storage',
    maxUploadBytes: 16 * GiB,
    lockDefaultSeconds: 3600,
    lockMaxSeconds: 86400,
    usersFile: undefined,
    bodyIdleSeconds: 60,
    logLevel: 'info',
    logFormat: 'auto',
    shutdownGraceSeconds: 30,
    workers: os.availableParallelism(),
    retention: [],
    retentionIntervalSeconds: 3600,
    statsIntervalSeconds: 300,
    uploadExpirySeconds: 86400,
    uploadsPerUser: 100,
    uploadSweepSeconds: 600,
    corsOrigins: [],
    sessionSecret: undefined,
    desktopFiles: ['._*', '.DS_Store', 'Thumbs.db', 'desktop.ini', '~$*', '.~lock.*#'],
  });
});

test('every variable is read', (t) => {
  const config = loadConfig({
    PORT: '9090',
    HOST: '127.0.0.1',
    KLUIS_STORAGE: 'fs',
    KLUIS_DATA_DIR: '/var/lib/kluis',
    KLUIS_MAX_UPLOAD_BYTES: '1048576',
    KLUIS_LOCK_DEFAULT_SECONDS: '600',
    KLUIS_LOCK_MAX_SECONDS: '7200',
    KLUIS_USERS_FILE: '/etc/kluis/users.json',
    KLUIS_BODY_IDLE_SECONDS: '15',
    KLUIS_LOG_LEVEL: 'debug',
    KLUIS_LOG_FORMAT: 'json',
    KLUIS_SHUTDOWN_GRACE_SECONDS: '5',
    KLUIS_RETENTION: '[{"prefix":"logs/","keepLast":3},{"prefix":"","keepDays":30,"keepLast":10}]',
    KLUIS_RETENTION_INTERVAL_SECONDS: '600',
    KLUIS_STATS_INTERVAL_SECONDS: '0',
    KLUIS_WORKERS: '3',
    KLUIS_UPLOAD_EXPIRY_SECONDS: '7200',
    KLUIS_UPLOADS_PER_USER: '5',
    KLUIS_UPLOAD_SWEEP_SECONDS: '60',
    KLUIS_CORS_ORIGINS: 'https://app.example.com, http://localhost:3000',
    KLUIS_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    KLUIS_DESKTOP_FILES: '.DS_Store, ~$*',
  });
  t.deepEqual(config, {
    port: 9090,
    host: '127.0.0.1',
    storage: 'fs',
    s3: undefined,
    dataDir: '/var/lib/kluis',
    maxUploadBytes: 1048576,
    lockDefaultSeconds: 600,
    lockMaxSeconds: 7200,
    usersFile: '/etc/kluis/users.json',
    bodyIdleSeconds: 15,
    logLevel: 'debug',
    logFormat: 'json',
    shutdownGraceSeconds: 5,
    workers: 3,
    retention: [
      { prefix: 'logs/', keepLast: 3 },
      { prefix: '', keepDays: 30, keepLast: 10 },
    ],
    retentionIntervalSeconds: 600,
    statsIntervalSeconds: 0,
    uploadExpirySeconds: 7200,
    uploadsPerUser: 5,
    uploadSweepSeconds: 60,
    corsOrigins: ['https://app.example.com', 'http://localhost:3000'],
    sessionSecret: 'a-session-secret-of-at-least-32-characters',
    desktopFiles: ['.DS_Store', '~$*'],
  });
});

test('KLUIS_DESKTOP_FILES: none turns the filter off; a pattern of every name or a path is refused', (t) => {
  t.deepEqual(loadConfig({ KLUIS_DESKTOP_FILES: 'none' }).desktopFiles, []);
  t.throws(() => loadConfig({ KLUIS_DESKTOP_FILES: '*.tmp,*' }), { message: /KLUIS_DESKTOP_FILES: "\*" matches ordinary names/ });
  t.throws(() => loadConfig({ KLUIS_DESKTOP_FILES: 'a/b' }), { message: /KLUIS_DESKTOP_FILES: "a\/b" is no name pattern/ });
});

test('KLUIS_SESSION_SECRET must be at least 32 characters', (t) => {
  t.throws(() => loadConfig({ KLUIS_SESSION_SECRET: 'short' }), { message: /KLUIS_SESSION_SECRET: at least 32 characters/ });
});

test('PORT 0 picks a free port; every pino level is accepted', (t) => {
  t.is(loadConfig({ PORT: '0' }).port, 0);
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) t.is(loadConfig({ KLUIS_LOG_LEVEL: level }).logLevel, level);
});

test('an empty number or size variable means its default', (t) => {
  const config = loadConfig({ PORT: '', KLUIS_MAX_UPLOAD_BYTES: '', KLUIS_LOCK_DEFAULT_SECONDS: '', KLUIS_DATA_DIR: '', HOST: '', KLUIS_USERS_FILE: '' });
  t.like(config, { port: 8080, maxUploadBytes: 16 * GiB, lockDefaultSeconds: 3600, dataDir: './storage', host: undefined, usersFile: undefined });
});

test('an empty KLUIS_STORAGE or KLUIS_LOG_LEVEL means its default, like every other variable', (t) => {
  t.notThrows(() => loadConfig({ KLUIS_STORAGE: '' }), 'KLUIS_STORAGE=');
  t.notThrows(() => loadConfig({ KLUIS_LOG_LEVEL: '' }), 'KLUIS_LOG_LEVEL=');
});

test('size suffixes K, M, G, T (binary), with optional B or iB, any case', (t) => {
  const cases: [string, number][] = [
    ['1', 1],
    ['1073741824', GiB],
    ['1k', 1024],
    ['1K', 1024],
    ['512M', 512 * 2 ** 20],
    ['512MB', 512 * 2 ** 20],
    ['16GiB', 16 * GiB],
    ['16gib', 16 * GiB],
    ['2 G', 2 * GiB],
    ['1T', 2 ** 40],
    [' 10M ', 10 * 2 ** 20],
  ];
  for (const [raw, bytes] of cases) t.is(loadConfig({ KLUIS_MAX_UPLOAD_BYTES: raw }).maxUploadBytes, bytes, raw);
});

test('bad sizes are refused', (t) => {
  for (const raw of ['0', '-1', '1.5G', 'M', 'lots', '10X', '99999999999999999999T']) {
    const err = t.throws(() => loadConfig({ KLUIS_MAX_UPLOAD_BYTES: raw }), { instanceOf: ConfigError }, raw);
    t.true(err?.message.includes('KLUIS_MAX_UPLOAD_BYTES'), raw);
  }
});

test('bad whole numbers are refused', (t) => {
  const bad: Record<string, string[]> = {
    PORT: ['abc', '65536', '-1', '80.5', '1e3', ' 80'],
    KLUIS_LOCK_DEFAULT_SECONDS: ['0', 'soon', '-5'],
    KLUIS_LOCK_MAX_SECONDS: ['0', '1h'],
    KLUIS_BODY_IDLE_SECONDS: ['0', '86401', 'x'],
    KLUIS_SHUTDOWN_GRACE_SECONDS: ['3601', '-1', '30s'],
  };
  for (const [name, values] of Object.entries(bad)) {
    for (const raw of values) {
      const err = t.throws(() => loadConfig({ [name]: raw }), { instanceOf: ConfigError }, `${name}=${raw}`);
      t.true(err?.message.includes(`${name}=${JSON.stringify(raw)}`), `${name}=${raw}: ${err?.message}`);
    }
  }
});

test('every bad value is reported in one ConfigError', (t) => {
  const err = t.throws(
    () => loadConfig({ PORT: 'http', KLUIS_MAX_UPLOAD_BYTES: 'huge', KLUIS_LOCK_MAX_SECONDS: 'never', KLUIS_BODY_IDLE_SECONDS: '-1', KLUIS_LOG_LEVEL: 'loud', KLUIS_STORAGE: 'tape' }),
    { instanceOf: ConfigError },
  );
  t.is(err?.name, 'ConfigError');
  for (const name of ['PORT', 'KLUIS_MAX_UPLOAD_BYTES', 'KLUIS_LOCK_MAX_SECONDS', 'KLUIS_BODY_IDLE_SECONDS', 'KLUIS_LOG_LEVEL', 'KLUIS_STORAGE']) {
    t.true(err?.message.includes(name), name);
  }
  t.is(err?.message.split('\n').filter((line) => line.trim().startsWith('- ')).length, 6);
});

test('a lock default above the maximum is refused', (t) => {
  const err = t.throws(() => loadConfig({ KLUIS_LOCK_DEFAULT_SECONDS: '7200', KLUIS_LOCK_MAX_SECONDS: '3600' }), { instanceOf: ConfigError });
  t.regex(err?.message ?? '', /KLUIS_LOCK_DEFAULT_SECONDS.*KLUIS_LOCK_MAX_SECONDS/);
  t.like(loadConfig({ KLUIS_LOCK_DEFAULT_SECONDS: '3600', KLUIS_LOCK_MAX_SECONDS: '3600' }), { lockDefaultSeconds: 3600, lockMaxSeconds: 3600 });
});

test('KLUIS_STORAGE=s3 reads the KLUIS_S3_* settings, with defaults', (t) => {
  const config = loadConfig({
    KLUIS_STORAGE: 's3',
    KLUIS_S3_BUCKET: 'files',
    KLUIS_S3_ENDPOINT: 'http://127.0.0.1:9000',
    KLUIS_S3_PREFIX: 'team',
    KLUIS_S3_FORCE_PATH_STYLE: 'true',
    KLUIS_S3_PART_SIZE: '8MiB',
  });
  t.is(config.storage, 's3');
  t.like(config.s3, { bucket: 'files', endpoint: 'http://127.0.0.1:9000', prefix: 'team/', forcePathStyle: true, createBucket: false, partSize: 8 * 2 ** 20, queueSize: 1, region: 'us-east-1' });
  t.is(loadConfig({}).s3, undefined);
  // The region: KLUIS_S3_REGION, else AWS_REGION, else us-east-1.
  const s3 = { KLUIS_STORAGE: 's3', KLUIS_S3_BUCKET: 'files' };
  t.is(loadConfig({ ...s3, KLUIS_S3_REGION: 'eu-west-3', AWS_REGION: 'ap-south-1' }).s3?.region, 'eu-west-3');
  t.is(loadConfig({ ...s3, AWS_REGION: 'ap-south-1' }).s3?.region, 'ap-south-1');
});

test('KLUIS_STORAGE=s3 without a bucket, with a part under 5 MiB or a bad boolean is refused naming each', (t) => {
  const err = t.throws(() => loadConfig({ KLUIS_STORAGE: 's3', KLUIS_S3_PART_SIZE: '1M', KLUIS_S3_CREATE_BUCKET: 'maybe' }), { instanceOf: ConfigError });
  t.regex(err?.message ?? '', /KLUIS_S3_BUCKET is required/);
  t.regex(err?.message ?? '', /KLUIS_S3_PART_SIZE/);
  t.regex(err?.message ?? '', /KLUIS_S3_CREATE_BUCKET="maybe"/);
  const other = t.throws(() => loadConfig({ KLUIS_STORAGE: 'ftp' }), { instanceOf: ConfigError });
  t.regex(other?.message ?? '', /KLUIS_STORAGE="ftp": expected fs or s3/);
});

test('KLUIS_LOG_FORMAT is json, pretty or auto', (t) => {
  for (const format of ['json', 'pretty', 'auto'] as const) t.is(loadConfig({ KLUIS_LOG_FORMAT: format }).logFormat, format);
  const err = t.throws(() => loadConfig({ KLUIS_LOG_FORMAT: 'xml' }), { instanceOf: ConfigError });
  t.true(err?.message.includes('KLUIS_LOG_FORMAT'));
});

test('bad retention rules are refused, each problem named', (t) => {
  const cases: [string, RegExp][] = [
    ['{', /not JSON/],
    ['{"prefix":""}', /JSON array/],
    ['[{"prefix":"a/"}]', /keepLast", "keepDays" or both/],
    ['[{"keepLast":3}]', /"prefix" must be a string/],
    ['[{"prefix":"a/","keepLast":0}]', /"keepLast" must be a whole number/],
    ['[{"prefix":"a/","keepDays":1.5}]', /"keepDays" must be a whole number/],
    ['[{"prefix":"a/","keepLast":2,"keep":1}]', /unknown field keep/],
    ['[{"prefix":"a/","keepLast":2},{"prefix":"a/","keepDays":2}]', /appears twice/],
  ];
  for (const [raw, why] of cases) {
    const err = t.throws(() => loadConfig({ KLUIS_RETENTION: raw }), { instanceOf: ConfigError }, raw);
    t.regex(err?.message ?? '', why, raw);
    t.regex(err?.message ?? '', /KLUIS_RETENTION/, raw);
  }
});

test('KLUIS_CORS_ORIGINS: exact origins, comma-separated; anything else refused with the form to write', (t) => {
  t.deepEqual(loadConfig({ KLUIS_CORS_ORIGINS: ' https://a.example ,http://[::1]:8080,, https://a.example,http://127.0.0.1:5173 ' }).corsOrigins, [
    'https://a.example',
    'http://[::1]:8080',
    'http://127.0.0.1:5173',
  ]);
  t.deepEqual(loadConfig({ KLUIS_CORS_ORIGINS: '' }).corsOrigins, []);
  const cases: [string, RegExp][] = [
    ['*', /"\*" is not accepted: name each origin/],
    ['null', /"null" is not accepted/],
    ['app.example.com', /is not an origin \(scheme:\/\/host\[:port\]/],
    ['ftp://app.example.com', /not an http or https origin/],
    ['https://app.example.com/', /write https:\/\/app\.example\.com$/m],
    ['https://App.Example.com', /write https:\/\/app\.example\.com$/m],
    ['https://app.example.com:443', /write https:\/\/app\.example\.com$/m],
    ['https://app.example.com/ui', /no path, query or credentials \(the origin is https:\/\/app\.example\.com\)/],
    ['https://app.example.com?x=1', /no path, query or credentials/],
    ['https://user@app.example.com', /no path, query or credentials/],
  ];
  for (const [raw, why] of cases) {
    const err = t.throws(() => loadConfig({ KLUIS_CORS_ORIGINS: `https://ok.example, ${raw}` }), { instanceOf: ConfigError }, raw);
    t.regex(err?.message ?? '', why, raw);
    t.regex(err?.message ?? '', /KLUIS_CORS_ORIGINS/, raw);
    t.false((err?.message ?? '').includes('ok.example'), raw);
  }
});
