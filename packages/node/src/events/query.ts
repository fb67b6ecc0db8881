// The event query language of CometBFT v0.38 (`libs/pubsub/query/syntax`): the AST, the
// scanner/parser (`parseQuery`) and the canonical printer (`queryToString`).

import { err, ok, QosError, type Result } from "@qos/types";

export type QueryOperator = "=" | "<" | "<=" | ">" | ">=" | "CONTAINS" | "EXISTS";

/**
 * An operand keeps its source text: a string's content without the quotes, a number's digits
 * (`15`, `3.14`), a date `yyyy-mm-dd`, a time `yyyy-mm-ddThh:mm:ss(Z|±hh:mm)`.
 */
export interface QueryOperand {
  readonly type: "string" | "number" | "date" | "time";
  readonly text: string;
}

/** `tag op operand`; `EXISTS` has no operand. */
export interface QueryCondition {
  readonly tag: string;
  readonly op: QueryOperator;
  readonly operand?: QueryOperand;
}

/** A conjunction (`AND`) of one or more conditions. */
export interface Query {
  readonly conditions: readonly QueryCondition[];
}

export type QueryErrorCode = "QUERY_SYNTAX";
export type QueryError = QosError<QueryErrorCode>;

type TokenKind =
  | "tag"
  | "string"
  | "number"
  | "time"
  | "date"
  | "AND"
  | "CONTAINS"
  | "EXISTS"
  | "="
  | "<"
  | "<="
  | ">"
  | ">="
  | "end";

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly offset: number;
}

const TOKEN_LABEL: Record<TokenKind, string> = {
  tag: "tag",
  string: "string",
  number: "number",
  time: "timestamp",
  date: "datestamp",
  AND: "AND operator",
  CONTAINS: "CONTAINS operator",
  EXISTS: "EXISTS operator",
  "=": "= operator",
  "<": "< operator",
  "<=": "<= operator",
  ">": "> operator",
  ">=": ">= operator",
  end: "end of query",
};

class SyntaxFailure {
  readonly offset: number;
  readonly message: string;
  constructor(offset: number, message: string) {
    this.offset = offset;
    this.message = message;
  }
}

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;
const SPACE = /\s/u;

function isTagChar(ch: string): boolean {
  return ch === "." || ch === "_" || ch === "-" || LETTER.test(ch) || DIGIT.test(ch);
}

function isFirstTagChar(ch: string): boolean {
  return ch === "_" || LETTER.test(ch) || DIGIT.test(ch);
}

function isAsciiDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

const TIME_CHARS = "-T:+Z";
const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Scanner over the query text, one token at a time (offsets are string indices). */
class Scanner {
  private readonly src: string;
  private pos = 0;

  constructor(src: string) {
    this.src = src;
  }

  private peekChar(): string | undefined {
    const cp = this.src.codePointAt(this.pos);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  next(): Token {
    let ch = this.peekChar();
    while (ch !== undefined && SPACE.test(ch)) {
      this.pos += ch.length;
      ch = this.peekChar();
    }
    const start = this.pos;
    if (ch === undefined) return { kind: "end", text: "", offset: start };
    if (isAsciiDigit(ch)) return this.scanNumber(start);
    if (isFirstTagChar(ch)) return this.scanTagLike(start);
    if (ch === "'") return this.scanString(start);
    if (ch === "<" || ch === ">" || ch === "=") return this.scanCompare(start, ch);
    throw new SyntaxFailure(start, `invalid input ${JSON.stringify(ch)}`);
  }

  private scanNumber(start: number): Token {
    while (isAsciiDigit(this.src[this.pos])) this.pos++;
    if (this.src[this.pos] === ".") {
      this.pos++;
      while (isAsciiDigit(this.src[this.pos])) this.pos++;
    }
    return { kind: "number", text: this.src.slice(start, this.pos), offset: start };
  }

  private scanString(start: number): Token {
    const close = this.src.indexOf("'", start + 1);
    if (close < 0) throw new SyntaxFailure(start, "unterminated string (missing closing ')");
    this.pos = close + 1;
    return { kind: "string", text: this.src.slice(start + 1, close), offset: start };
  }

  private scanCompare(start: number, first: string): Token {
    this.pos++;
    if (first === "=") return { kind: "=", text: "=", offset: start };
    if (this.src[this.pos] === "=") {
      this.pos++;
      const kind = first === "<" ? "<=" : ">=";
      return { kind, text: kind, offset: start };
    }
    const kind = first === "<" ? "<" : ">";
    return { kind, text: kind, offset: start };
  }

  private scanTagLike(start: number): Token {
    let ch = this.peekChar();
    while (ch !== undefined && isTagChar(ch)) {
      this.pos += ch.length;
      ch = this.peekChar();
    }
    const text = this.src.slice(start, this.pos);
    // Like CometBFT, TIME and DATE introduce a stamp only when followed by exactly one space.
    if ((text === "TIME" || text === "DATE") && ch === " ") {
      this.pos++;
      return text === "TIME" ? this.scanStamp(start, "time") : this.scanStamp(start, "date");
    }
    if (text === "AND" || text === "CONTAINS" || text === "EXISTS") {
      return { kind: text, text, offset: start };
    }
    return { kind: "tag", text, offset: start };
  }

  private scanStamp(start: number, kind: "time" | "date"): Token {
    const from = this.pos;
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) break;
      if (!(isAsciiDigit(c) || c === "-" || (kind === "time" && TIME_CHARS.includes(c)))) break;
      this.pos++;
    }
    const text = this.src.slice(from, this.pos);
    const problem = kind === "time" ? checkTimeOperand(text) : checkDateOperand(text);
    if (problem !== undefined) throw new SyntaxFailure(from, problem);
    return { kind, text, offset: start };
  }
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Validates y-m-d; returns a problem description or undefined. */
export function checkCalendarDate(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12) return "month out of range";
  if (day < 1 || day > daysInMonth(year, month)) return "day out of range";
  return undefined;
}

function checkYear(year: number, what: string): string | undefined {
  if (year < 1900 || year > 2999) return `${what} year ${year} out of range`;
  return undefined;
}

function checkTimeOperand(text: string): string | undefined {
  const m = TIME_RE.exec(text);
  if (m === null) {
    return `invalid TIME value ${JSON.stringify(text)} (want RFC3339, e.g. 2013-05-03T14:45:00Z)`;
  }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zone = m[7] as string;
  const bad =
    checkCalendarDate(y, mo, d) ??
    (h > 23 ? "hour out of range" : undefined) ??
    (mi > 59 ? "minute out of range" : undefined) ??
    (s > 59 ? "second out of range" : undefined) ??
    (zone !== "Z" && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4, 6)) > 59)
      ? "time zone offset out of range"
      : undefined);
  if (bad !== undefined) return `invalid TIME value ${JSON.stringify(text)}: ${bad}`;
  return checkYear(y, "timestamp");
}

function checkDateOperand(text: string): string | undefined {
  const m = DATE_RE.exec(text);
  if (m === null) return `invalid DATE value ${JSON.stringify(text)} (want yyyy-mm-dd)`;
  const [y, mo, d] = m.slice(1, 4).map(Number) as [number, number, number];
  const bad = checkCalendarDate(y, mo, d);
  if (bad !== undefined) return `invalid DATE value ${JSON.stringify(text)}: ${bad}`;
  return checkYear(y, "datestamp");
}

function label(kinds: readonly TokenKind[]): string {
  const names = kinds.map((k) => TOKEN_LABEL[k]);
  if (names.length === 1) return names[0] as string;
  return `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}

const COMPARISONS: readonly TokenKind[] = ["<=", ">=", "<", ">", "=", "CONTAINS", "EXISTS"];

class Parser {
  private readonly scanner: Scanner;

  constructor(text: string) {
    this.scanner = new Scanner(text);
  }

  private require(kinds: readonly TokenKind[]): Token {
    const tok = this.scanner.next();
    if (!kinds.includes(tok.kind)) {
      throw new SyntaxFailure(tok.offset, `got ${TOKEN_LABEL[tok.kind]}, wanted ${label(kinds)}`);
    }
    return tok;
  }

  parse(): Query {
    const conditions: QueryCondition[] = [this.parseCondition()];
    for (;;) {
      const tok = this.scanner.next();
      if (tok.kind === "end") return { conditions };
      if (tok.kind !== "AND") {
        throw new SyntaxFailure(tok.offset, `got ${TOKEN_LABEL[tok.kind]}, wanted AND operator`);
      }
      conditions.push(this.parseCondition());
    }
  }

  private parseCondition(): QueryCondition {
    const tag = this.require(["tag"]).text;
    const op = this.require(COMPARISONS).kind as QueryOperator;
    let kinds: readonly TokenKind[];
    switch (op) {
      case "EXISTS":
        return { tag, op };
      case "CONTAINS":
        kinds = ["string"];
        break;
      case "=":
        kinds = ["number", "time", "date", "string"];
        break;
      default:
        kinds = ["number", "time", "date"];
    }
    const arg = this.require(kinds);
    return { tag, op, operand: { type: arg.kind as QueryOperand["type"], text: arg.text } };
  }
}

/**
 * Parses a query such as `tm.event='Tx' AND tx.height>=5`. Errors name the offending offset
 * (a string index) and show the query with a caret under it.
 */
export function parseQuery(text: string): Result<Query, QueryError> {
  try {
    return ok(new Parser(text).parse());
  } catch (e) {
    if (!(e instanceof SyntaxFailure)) throw e;
    const pointer = `${text}\n${" ".repeat(e.offset)}^`;
    return err(
      new QosError("QUERY_SYNTAX", `offset ${e.offset}: ${e.message}`, {
        offset: e.offset,
        query: text,
        pointer,
      }),
    );
  }
}

export function operandToString(operand: QueryOperand): string {
  switch (operand.type) {
    case "string":
      return `'${operand.text}'`;
    case "time":
      return `TIME ${operand.text}`;
    case "date":
      return `DATE ${operand.text}`;
    default:
      return operand.text;
  }
}

export function conditionToString(c: QueryCondition): string {
  const head = `${c.tag} ${c.op}`;
  return c.operand === undefined ? head : `${head} ${operandToString(c.operand)}`;
}

/** The canonical text, as CometBFT's `Query.String()`: `a.b = 'x' AND c.d > 5`. */
export function queryToString(query: Query): string {
  return query.conditions.map(conditionToString).join(" AND ");
}
