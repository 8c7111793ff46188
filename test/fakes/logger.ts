/** A logger that keeps every line, for tests that check what was logged. */
import type { Logger } from '../../src/core/logger.js';

/** One logged line: level, the fields object (or `{}`), and the message. */
export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

/** Records lines in `lines`; children share the parent's list and add their bindings. */
export class RecordingLogger implements Logger {
  constructor(readonly lines: LoggedLine[] = [], private readonly bindings: Record<string, unknown> = {}) {}

  private add(level: LoggedLine['level'], obj: object | string, msg?: string): void {
    if (typeof obj === 'string') this.lines.push({ level, fields: { ...this.bindings }, msg: obj });
    else this.lines.push({ level, fields: { ...this.bindings, ...(obj as Record<string, unknown>) }, msg: msg ?? '' });
  }

  debug(obj: object | string, msg?: string): void {
    this.add('debug', obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.add('info', obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.add('warn', obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.add('error', obj, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new RecordingLogger(this.lines, { ...this.bindings, ...bindings });
  }
}
