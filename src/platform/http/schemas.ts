import { Type, type Static, type TSchema } from 'typebox';

/** A positive database id: in paths it arrives as a string and is coerced. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const Money = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const Timestamp = Type.String({ format: 'date-time' });

// Characters a name may not hold anywhere: controls (PostgreSQL refuses NUL), unpaired surrogates, and
// the bidi embeddings, overrides and isolates that make text display in another order than stored.
const FORBIDDEN = '\\p{Cc}\\p{Cs}\\u202A-\\u202E\\u2066-\\u2069';
// Characters that show nothing: spaces, format characters (zero-width space, joiners, marks, BOM),
// combining marks alone, and the blank letters (Hangul fillers, braille blank).
const INVISIBLE = '\\s\\p{Cf}\\p{Mn}\\p{Me}\\u115F\\u1160\\u3164\\uFFA0\\u2800';

/**
 * Human text of 1..max characters: at least one visible character, and no control, unpaired
 * surrogate or bidi embedding/override/isolate anywhere (see docs/decisions.md).
 */
export const Text = (maxLength: number) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: `^[^${FORBIDDEN}]*[^${FORBIDDEN}${INVISIBLE}][^${FORBIDDEN}]*$`,
    description: 'at least one visible character; no control characters, no bidi embeddings, overrides or isolates (U+202A..U+202E, U+2066..U+2069)',
  });

export const ErrorResponse = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorResponse' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/** Response map entries for the error statuses a route can answer with. */
export function errors(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));
}

export const PageQuery = Type.Object({
  cursor: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'opaque: the nextCursor of the previous page' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});
export type PageQuery = Static<typeof PageQuery>;

/** A page of items with the cursor of the next page (null on the last). */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
