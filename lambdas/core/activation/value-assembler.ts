import { decodeJsonString } from './id-bytes';

type Container =
  | { kind: 'object'; value: Record<string, unknown>; key: string | undefined }
  | { kind: 'array'; value: unknown[] };

/**
 * Rebuilds one small JSON value (a query's `input`, an `error`) from scanner events. Used only for
 * the few fields that are worth a JS value; the user lists never come through here.
 */
export class ValueAssembler {
  private readonly stack: Container[] = [];
  private result: unknown;
  private finished = false;
  /** Set when a string had an invalid escape. */
  invalid = false;

  /** True once the value is complete. */
  get done(): boolean {
    return this.finished;
  }

  get value(): unknown {
    return this.result;
  }

  startObject(): void {
    this.stack.push({
      kind: 'object',
      value: Object.create(null) as Record<string, unknown>,
      key: undefined,
    });
  }

  startArray(): void {
    this.stack.push({ kind: 'array', value: [] });
  }

  end(): void {
    const closed = this.stack.pop();
    if (closed) this.add(closed.value);
  }

  key(bytes: Buffer, start: number, end: number, escaped: boolean): void {
    const top = this.stack.at(-1);
    if (top?.kind === 'object') top.key = this.decode(bytes, start, end, escaped);
  }

  string(bytes: Buffer, start: number, end: number, escaped: boolean): void {
    this.add(this.decode(bytes, start, end, escaped));
  }

  literal(text: string): void {
    this.add(text === 'null' ? null : text === 'true' ? true : text === 'false' ? false : Number(text));
  }

  private decode(bytes: Buffer, start: number, end: number, escaped: boolean): string {
    if (!escaped) return bytes.toString('utf8', start, end);
    const text = decodeJsonString(bytes, start, end);
    if (text === undefined) this.invalid = true;
    return text ?? '';
  }

  private add(value: unknown): void {
    const top = this.stack.at(-1);
    if (!top) {
      this.result = value;
      this.finished = true;
    } else if (top.kind === 'array') {
      top.value.push(value);
    } else if (top.key !== undefined) {
      top.value[top.key] = value;
      top.key = undefined;
    }
  }
}
