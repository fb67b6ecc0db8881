// The one error base class of the project. Each domain declares its codes `as const`
// and throws or returns `QosError<Code>`; `throw` is for bugs and broken invariants,
// user and peer input gets a Result instead.

export class QosError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: Code, message: string, details?: Readonly<Record<string, unknown>>) {
    super(message);
    this.name = "QosError";
    this.code = code;
    this.details = details;
  }
}

export type Result<T, E = QosError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
