/** Ids and money are int8; every value we store fits in a double, so they are read as numbers. */
export function int8AsNumber(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${v} exceeds the safe integer range`);
  return n;
}
