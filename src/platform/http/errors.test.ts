import { describe, expect, it } from 'vitest';
import { AppError, ERROR_STATUS } from './errors.js';

describe('AppError', () => {
  it('maps its code to the status of the one table and renders the error body', () => {
    const err = new AppError('COUPON_SOLD_OUT', 'gone', { couponId: 1 });
    expect(err.statusCode).toBe(409);
    expect(err.toBody()).toEqual({ code: 'COUPON_SOLD_OUT', message: 'gone', details: { couponId: 1 } });
    expect(new AppError('USER_NOT_FOUND', 'x').toBody()).toEqual({ code: 'USER_NOT_FOUND', message: 'x' });
  });

  it('gives every code a client status, 500 or 503', () => {
    for (const status of Object.values(ERROR_STATUS)) expect(status === 500 || status === 503 || (status >= 400 && status < 500)).toBe(true);
  });

  it('skips the stack trace but leaves other errors theirs', () => {
    expect(new AppError('NOT_FOUND', 'x').stack).not.toMatch(/\n\s+at /);
    expect(new Error('bug').stack).toMatch(/\n\s+at /);
  });
});
