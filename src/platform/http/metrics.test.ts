import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('HTTP metrics', () => {
  it('print the tallies as a Prometheus counter and histogram, counting each answer once across scrapes', async () => {
    const metrics = new Metrics();
    const t = metrics.tally({ method: 'GET', route: '/a/:id', status: '200' });
    for (const s of [0.0005, 0.002, 0.002, 0.3, 7]) t.observe(s);
    metrics.httpRequests.inc({ method: 'UNPARSED', route: 'unmatched', status: '400' });
    const first = await metrics.registry.metrics();
    expect(first).toContain('http_requests_total{method="GET",route="/a/:id",status="200"} 5');
    expect(first).toContain('http_requests_total{method="UNPARSED",route="unmatched",status="400"} 1');
    expect(first).toContain('http_request_duration_seconds_bucket{le="0.001",method="GET",route="/a/:id",status="200"} 1');
    expect(first).toContain('http_request_duration_seconds_bucket{le="0.0025",method="GET",route="/a/:id",status="200"} 3');
    expect(first).toContain('http_request_duration_seconds_bucket{le="0.25",method="GET",route="/a/:id",status="200"} 3');
    expect(first).toContain('http_request_duration_seconds_bucket{le="0.5",method="GET",route="/a/:id",status="200"} 4');
    expect(first).toContain('http_request_duration_seconds_bucket{le="2.5",method="GET",route="/a/:id",status="200"} 4');
    expect(first).toContain('http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/a/:id",status="200"} 5');
    expect(first).toContain('http_request_duration_seconds_sum{method="GET",route="/a/:id",status="200"} 7.3045');
    expect(first).toContain('http_request_duration_seconds_count{method="GET",route="/a/:id",status="200"} 5');

    t.observe(0.001);
    const second = await metrics.registry.metrics();
    expect(second).toContain('http_requests_total{method="GET",route="/a/:id",status="200"} 6');
    expect(second).toContain('http_request_duration_seconds_bucket{le="0.001",method="GET",route="/a/:id",status="200"} 2');
    expect(second).toContain('http_request_duration_seconds_count{method="GET",route="/a/:id",status="200"} 6');
  });
});
