import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from './errors.js';

/**
 * Whether the JSON text writes a number with a fraction or an exponent outside strings. Every
 * number of this API is whole, and `999999.9999999999999` would otherwise parse as 1000000.
 */
export function hasNonIntegerLiteral(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x2e) {
      return true; // '.' outside a string only occurs in a number
    } else if (c === 0x65 || c === 0x45) {
      // 'e'/'E' after a digit is an exponent ("true" and "false" put theirs after a letter).
      const prev = text.charCodeAt(i - 1);
      if (prev >= 0x30 && prev <= 0x39) return true;
    }
  }
  return false;
}

// Cheap pre-checks over the raw text, so that the usual body skips the scans below.
const MAYBE_FRACTION = /[0-9][.eE]/;
const MAYBE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether a parsed value holds a string (or key) with an unpaired surrogate, which no UTF-8 can carry. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => LONE_SURROGATE.test(k) || hasLoneSurrogate(v));
  }
  return false;
}

/** What is wrong with JSON text Fastify's parser refused, when it is valid JSON after all. */
function refusedButValid(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  return 'Request body has a "__proto__" or "constructor.prototype" key, refused to protect against prototype pollution';
}

/**
 * Replaces the JSON body parser with one that refuses what Fastify's would silently rewrite:
 * invalid UTF-8 (decoded to U+FFFD), unpaired surrogate escapes, and fractional or exponent
 * number literals. Fastify's own (secure, fast) parser still does the parsing; the extra checks
 * are a native UTF-8 check and two regular expressions over the text, scanning further only
 * when those match.
 */
export function installJsonBody(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    if (!isUtf8(body)) return done(new ValidationError('Request body is not valid UTF-8'), undefined);
    const text = body.toString('utf8');
    parse(request, text, (err, value) => {
      if (err) {
        const reason = refusedButValid(text);
        return done(reason ? new ValidationError(reason) : err, undefined);
      }
      if (MAYBE_FRACTION.test(text) && hasNonIntegerLiteral(text)) {
        return done(new ValidationError('Numbers must be whole and written without a fraction or exponent (e.g. 1000, not 1000.0 or 1e3)'), undefined);
      }
      if (MAYBE_SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(value)) {
        return done(new ValidationError('Request body has a string with an unpaired surrogate escape, which is not valid Unicode'), undefined);
      }
      done(null, value);
    });
  });
}
