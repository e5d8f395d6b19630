import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('hides the user-info of every URL and secret parameters', () => {
    expect(redactSecrets('DATABASE_URL must be a postgres URL, got "mysql://admin:pw@db/x"')).toBe(
      'DATABASE_URL must be a postgres URL, got "mysql://***@db/x"',
    );
    expect(redactSecrets('redis://:s3cret@cache:6379/0 and rediss://tok@h')).toBe('redis://***@cache:6379/0 and rediss://***@h');
    expect(redactSecrets('postgres://u@h/db?sslmode=require&password=hunter2')).toBe('postgres://***@h/db?sslmode=require&password=***');
  });

  it('leaves text without credentials alone', () => {
    for (const s of ['postgres://h:5432/db', 'connect ECONNREFUSED 127.0.0.1:5432', 'a = b']) expect(redactSecrets(s)).toBe(s);
  });
});
