/**
 * A platform's JSON answer, read without casts: each accessor checks the type it hands out, so a
 * field of an unexpected type reads as absent instead of leaking `unknown` into typed results.
 */
export class BodyReader {
  private constructor(private readonly fields: Readonly<Record<string, unknown>>) {}

  /** Anything that is not a JSON object (a string body, an array, nothing) reads as an empty object. */
  static of(data: unknown): BodyReader {
    return new BodyReader(isRecord(data) ? data : {});
  }

  value(key: string): unknown {
    return this.fields[key];
  }

  has(key: string): boolean {
    return this.fields[key] !== undefined;
  }

  /** The field when it is a string (possibly empty). */
  string(key: string): string | undefined {
    const v = this.fields[key];
    return typeof v === 'string' ? v : undefined;
  }

  /** The field when it is a non-empty string. */
  text(key: string): string | undefined {
    const v = this.fields[key];
    return typeof v === 'string' && v ? v : undefined;
  }

  /** The field when it is an array. */
  array(key: string): unknown[] | undefined {
    const v = this.fields[key];
    return Array.isArray(v) ? v : undefined;
  }

  /** The object elements of an array field (others skipped). */
  objects(key: string): BodyReader[] {
    return (this.array(key) ?? []).filter(isRecord).map((o) => new BodyReader(o));
  }

  /** A nested object (empty when the field is not one). */
  object(key: string): BodyReader {
    return BodyReader.of(this.fields[key]);
  }

  /** The keys present, for error details that keep a few known fields. */
  pick(keys: readonly string[]): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    for (const k of keys) if (this.fields[k] !== undefined) out[k] = this.fields[k];
    return Object.keys(out).length ? out : undefined;
  }
}

export function readBody(data: unknown): BodyReader {
  return BodyReader.of(data);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
