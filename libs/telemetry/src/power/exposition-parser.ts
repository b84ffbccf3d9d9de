/**
 * A strict, streaming parser of the Prometheus text exposition format (version 0.0.4), for
 * reading exporters directly. Streaming because a campus DCGM scrape is ~40 MB: chunks are
 * parsed as they arrive, so the event loop is never held for the whole body. The npm parser
 * that exists (`parse-prometheus-text-format`) takes the whole text at once and is unmaintained.
 */

export interface ExpositionSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** The optional sample timestamp (ms since the epoch). */
  readonly timestampMs: number | null;
}

export class ExpositionParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionParseError';
  }
}

const METRIC_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^-?\d+$/;
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
/** Enough for every series of a campus DCGM scrape (240,000) with room for churn. */
const LABEL_SET_CACHE_LIMIT = 500_000;

const isBlank = (c: number): boolean => c === 32 || c === 9;

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * `123` or `123.456` with at most 15 digits, read without making a string: digits / 10^d is one
 * correctly rounded division of exact numbers, so it equals Number(text) (Clinger's fast path).
 * Undefined for anything else, which then goes through parseValue.
 */
function plainDecimal(line: string, start: number, end: number): number | undefined {
  let digits = 0;
  let mantissa = 0;
  let point = -1;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      if (++digits > 15) return undefined;
    } else if (c === 46 && point < 0) point = i;
    else return undefined;
  }
  if (digits === 0 || point === end - 1 || point === start) return undefined;
  return point < 0 ? mantissa : mantissa / POWERS_OF_TEN[end - point - 1];
}

/** A copy of `text` that does not keep the string it was sliced from alive. */
function detached(text: string): string {
  return (text + ' ').slice(0, -1);
}

/** Go's ParseFloat, as Prometheus reads sample values: decimals, exponents, NaN and (+/-)Inf. */
function parseValue(text: string): number | undefined {
  if (FLOAT.test(text)) return Number(text);
  switch (text.toLowerCase()) {
    case 'nan':
      return NaN;
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    default:
      return undefined;
  }
}

/** Label sets read by earlier parses of one target, by text and by position in the exposition. */
export class LabelSetCache {
  readonly byText = new Map<string, CachedLabelSet>();
  byPosition: CachedLabelSet[] = [];

  get size(): number {
    return this.byText.size;
  }

  clear(): void {
    this.byText.clear();
    this.byPosition = [];
  }
}

interface CachedLabelSet {
  readonly text: string;
  readonly labels: Readonly<Record<string, string>>;
}

export class ExpositionParser {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private rest = '';
  private lineNumber = 0;
  private readonly typed = new Set<string>();
  private lastName = '';
  /** Lines with a label set so far: their position for the cache. */
  private labelled = 0;

  /**
   * `wanted`: only samples of these metric names are reported (every line is still checked).
   * `labelSets`: label sets already read; pass the same cache to the next parse of the same
   * target, whose series repeat, to skip reading them again (the objects are frozen).
   */
  constructor(
    private readonly onSample: (sample: ExpositionSample) => void,
    private readonly wanted?: ReadonlySet<string>,
    private readonly labelSets: LabelSetCache = new LabelSetCache(),
  ) {}

  push(chunk: Uint8Array | string): void {
    const decoded = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const text = this.rest === '' ? decoded : this.rest + decoded;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      this.line(text.slice(start, end));
      start = end + 1;
    }
    this.rest = text.slice(start);
  }

  /** The last line needs no newline; a truncated multi-byte character is an error. */
  end(): void {
    const text = this.rest + this.decoder.decode();
    this.rest = '';
    if (text !== '') this.line(text);
  }

  private fail(message: string): never {
    throw new ExpositionParseError(this.lineNumber, message);
  }

  private line(line: string): void {
    this.lineNumber++;
    if (line.charCodeAt(0) === 35 /* # */) return this.comment(line);
    if (line.length === 0 || (isBlank(line.charCodeAt(0)) && line.trim() === '')) return;
    let i = 0;
    for (let c = line.charCodeAt(0); i < line.length && c !== 123 /* { */ && !isBlank(c); c = line.charCodeAt(++i));
    // Lines of one family repeat its name: compare instead of checking it again.
    let name = line.slice(0, i);
    if (name === this.lastName) name = this.lastName;
    else {
      if (!METRIC_NAME.test(name)) this.fail(`invalid metric name "${name}"`);
      this.lastName = name;
    }
    let labels: Readonly<Record<string, string>> = NO_LABELS;
    if (line.charCodeAt(i) === 123) {
      // Values and timestamps hold no brace, so the label set ends at the last one.
      const close = line.lastIndexOf('}');
      if (close < i) this.fail('unterminated label set');
      labels = this.labelSet(line, i + 1, close);
      i = close + 1;
    }
    // ` value [timestamp]`: one or two fields, each after blanks.
    if (!isBlank(line.charCodeAt(i))) this.fail(`expected a value (and an optional timestamp) after ${name}`);
    while (isBlank(line.charCodeAt(i))) i++;
    const valueStart = i;
    while (i < line.length && !isBlank(line.charCodeAt(i))) i++;
    const valueEnd = i;
    while (isBlank(line.charCodeAt(i))) i++;
    const timestampStart = i;
    while (i < line.length && !isBlank(line.charCodeAt(i))) i++;
    const timestampText = i > timestampStart ? line.slice(timestampStart, i) : '';
    while (isBlank(line.charCodeAt(i))) i++;
    if (valueEnd === valueStart || i < line.length)
      this.fail(`expected a value (and an optional timestamp) after ${name}`);
    const value = plainDecimal(line, valueStart, valueEnd) ?? parseValue(line.slice(valueStart, valueEnd));
    if (value === undefined) this.fail(`invalid value "${line.slice(valueStart, valueEnd)}" for ${name}`);
    if (timestampText !== '' && !INTEGER.test(timestampText))
      this.fail(`invalid timestamp "${timestampText}" for ${name}`);
    if (this.wanted && !this.wanted.has(name)) return;
    this.onSample({ name, labels, value, timestampMs: timestampText === '' ? null : Number(timestampText) });
  }

  /**
   * The label set of `line[start, close)`: first as the one at the same position of the last
   * parse (a target lists its series in the same order every time: one string comparison
   * instead of hashing 200 characters), then by its text, else read and kept.
   */
  private labelSet(line: string, start: number, close: number): Readonly<Record<string, string>> {
    const cache = this.labelSets;
    const at = this.labelled++;
    const prior = cache.byPosition[at];
    const text = line.slice(start, close);
    if (prior && prior.text === text) return prior.labels;
    let known = cache.byText.get(text);
    if (!known) {
      const parsed: Record<string, string> = {};
      if (this.labels(line, start, parsed) !== close + 1) this.fail('unexpected text after the label set');
      if (cache.byText.size >= LABEL_SET_CACHE_LIMIT) return Object.freeze(parsed);
      // Kept across parses: own copies, not slices that would hold this chunk's whole text.
      for (const key of Object.keys(parsed)) parsed[key] = detached(parsed[key]);
      known = { text: detached(text), labels: Object.freeze(parsed) };
      cache.byText.set(known.text, known);
    }
    cache.byPosition[at] = known;
    return known.labels;
  }

  private comment(line: string): void {
    const parts = line
      .slice(1)
      .trimStart()
      .split(/[ \t]+/);
    if (parts[0] !== 'TYPE' && parts[0] !== 'HELP') return;
    if (parts.length < 2 || !METRIC_NAME.test(parts[1])) this.fail(`# ${parts[0]} needs a metric name`);
    if (parts[0] === 'HELP') return;
    if (parts.length !== 3 || !METRIC_TYPES.has(parts[2])) this.fail(`invalid # TYPE line for ${parts[1]}`);
    if (this.typed.has(parts[1])) this.fail(`second # TYPE line for ${parts[1]}`);
    this.typed.add(parts[1]);
  }

  /** Reads `name="value",...}` from `i`; returns the index after the closing brace. */
  private labels(line: string, i: number, into: Record<string, string>): number {
    for (;;) {
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === '}') return i + 1;
      const eq = line.indexOf('=', i);
      if (eq < 0) this.fail('unterminated label set');
      const label = line.slice(i, eq).trim();
      if (!LABEL_NAME.test(label)) this.fail(`invalid label name "${label}"`);
      if (label in into) this.fail(`label ${label} given twice`);
      i = eq + 1;
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] !== '"') this.fail(`label ${label} needs a quoted value`);
      let value = '';
      for (let from = i + 1; ;) {
        const quote = line.indexOf('"', from);
        const escape = line.indexOf('\\', from);
        if (quote < 0) this.fail(`unterminated value of label ${label}`);
        if (escape < 0 || escape > quote) {
          value += line.slice(from, quote);
          i = quote;
          break;
        }
        value += line.slice(from, escape);
        const next = line[escape + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else this.fail(`invalid escape \\${next ?? ''} in label ${label}`);
        from = escape + 2;
      }
      into[label] = value;
      i++;
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === ',') i++;
      else if (i >= line.length) this.fail('unterminated label set');
      else if (line[i] !== '}') this.fail(`expected "," or "}" after label ${label}`);
    }
  }
}
