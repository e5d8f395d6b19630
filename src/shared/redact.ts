// `scheme://user:password@host`, `scheme://token@host`: the whole user-info part is a credential.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
// `password=…`, `token=…` in query strings and key=value settings.
const SECRET_PARAMS = /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)=[^\s&;,'"]+/gi;

/** The text with URL credentials and secret-looking parameters replaced by `***`. */
export function redactSecrets(text: string): string {
  // Cheap test first: this runs on log lines.
  if (!text.includes('://') && !text.includes('=')) return text;
  return text.replace(URL_CREDENTIALS, '$1***@').replace(SECRET_PARAMS, '$1=***');
}
