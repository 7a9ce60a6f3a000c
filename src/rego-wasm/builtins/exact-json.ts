/**
 * JSON with exact numbers, for values crossing the WebAssembly boundary into and out of host builtins.
 * OPA numbers are arbitrary precision; a JavaScript double is not. Integers beyond 2^53 are read as BigInt (from
 * the number's source text) and written back digit for digit, so nanosecond timestamps and large ranges stay exact.
 */

/** A JSON value as host builtins see it: numbers are `number`, or `bigint` when the integer is not a safe double. */
export type Exact = null | boolean | number | bigint | string | Exact[] | { [key: string]: Exact };

const INTEGER = /^-?\d+$/;

export function parseExact(text: string): Exact {
  return JSON.parse(text, (_key, value, context?: { source?: string }) => {
    if (typeof value === 'number' && context?.source !== undefined && !Number.isSafeInteger(value) && INTEGER.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  }) as Exact;
}

/**
 * Parse JSON a policy handed over as text (a JWT payload, a YAML document's numbers) keeping every number as OPA
 * would: integers exact, other numbers as their decimal text when a double would not print them back the same.
 */
export function parseJsonKeepingNumbers(text: string): unknown {
  return JSON.parse(text, (_key, value, context?: { source?: string }) => {
    if (typeof value !== 'number' || context?.source === undefined) return value;
    const src = context.source;
    if (INTEGER.test(src)) return Number.isSafeInteger(value) ? value : BigInt(src);
    return String(value) === src ? value : new RawNumber(src);
  });
}

/** JSON text of a host builtin's result; bigint written exactly. Non-finite numbers are not JSON: undefined. */
export function stringifyExact(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof RawNumber) return value.text;
      const parts: string[] = [];
      if (Array.isArray(value)) {
        for (const item of value) {
          const s = stringifyExact(item);
          if (s === undefined) return undefined;
          parts.push(s);
        }
        return `[${parts.join(',')}]`;
      }
      for (const [k, v] of Object.entries(value)) {
        const s = stringifyExact(v);
        if (s === undefined) return undefined;
        parts.push(`${JSON.stringify(k)}:${s}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return undefined;
  }
}

/** An integer argument as BigInt (number or bigint holding an integer), else undefined. */
export function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isObject = (v: unknown): v is Record<string, Exact> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A number written as given (OPA keeps numbers as decimal text: "0.0015000000", "1.0e10"). */
export class RawNumber {
  constructor(readonly text: string) {}
}
