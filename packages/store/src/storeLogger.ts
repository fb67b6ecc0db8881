// The part of a pino logger @qos/store writes to (the node passes logger.child({ module })).

export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const SILENT_LOGGER: StoreLogger = { info() {}, warn() {} };
