import { describe, expect, it } from 'vitest';
import { isWithinIssueWindow } from './issue-window.js';

describe('isWithinIssueWindow', () => {
  const window = { issueStartAt: new Date('2026-12-01T00:00:00.000Z'), issueEndAt: new Date('2026-12-02T00:00:00.000Z') };
  it('includes the start and excludes the end', () => {
    expect(isWithinIssueWindow(window, new Date('2026-11-30T23:59:59.999Z'))).toBe(false);
    expect(isWithinIssueWindow(window, new Date('2026-12-01T00:00:00.000Z'))).toBe(true);
    expect(isWithinIssueWindow(window, new Date('2026-12-01T23:59:59.999Z'))).toBe(true);
    expect(isWithinIssueWindow(window, new Date('2026-12-02T00:00:00.000Z'))).toBe(false);
  });
});
