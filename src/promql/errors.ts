import { ErrorCodes, PromdedupError, type ErrorCode } from '../model/errors.js';

/** Error kinds map to the Prometheus API's errorType and HTTP status. */
export type PromQLErrorKind = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal';

export class PromQLError extends PromdedupError {
  declare readonly kind: PromQLErrorKind;

  constructor(kind: PromQLErrorKind, message: string, code?: ErrorCode) {
    super(kind, message, code ?? (kind === 'bad_data' ? ErrorCodes.BAD_QUERY : undefined));
    this.name = 'PromQLError';
  }
}

/** A parse error, formatted as Prometheus does: `1:5: parse error: unclosed left parenthesis`. */
export class ParseError extends PromQLError {
  readonly position: number;

  constructor(message: string, position: number, query: string) {
    super('bad_data', `${lineColumn(query, position)}: parse error: ${message}`);
    this.position = position;
  }
}

function lineColumn(query: string, pos: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < query.length; i++) {
    if (query[i] === '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return `${line}:${col}`;
}
