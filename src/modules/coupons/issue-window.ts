/** Whether a coupon may be issued at `now`: from issueStartAt (inclusive) until issueEndAt (exclusive). */
export function isWithinIssueWindow(window: { issueStartAt: Date; issueEndAt: Date }, now: Date): boolean {
  return now.getTime() >= window.issueStartAt.getTime() && now.getTime() < window.issueEndAt.getTime();
}
