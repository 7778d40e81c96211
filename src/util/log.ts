/** A small leveled logger writing logfmt or JSON lines to stderr, as Thanos' go-kit logger does. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function createLogger(
  level: LogLevel,
  format: LogFormat,
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < min) return;
    const record: Record<string, string | number | boolean> = { level: lvl, ts: new Date().toISOString(), msg };
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = v;
    write((format === 'json' ? JSON.stringify(record) : logfmt(record)) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function logfmt(record: Readonly<Record<string, string | number | boolean>>): string {
  return Object.entries(record)
    .map(([k, v]) => {
      const s = String(v);
      return `${k}=${s === '' || /[\s"=\\]/.test(s) ? JSON.stringify(s) : s}`;
    })
    .join(' ');
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
