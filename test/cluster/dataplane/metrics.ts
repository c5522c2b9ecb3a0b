// Request metrics the way ingress-nginx exports them (its Lua monitor batches every request to the
// controller's collector, served on :10254/metrics): a counter nginx_ingress_controller_requests and a
// histogram nginx_ingress_controller_request_duration_seconds, labelled per request with
//   status, method, host (the server), path (the location's path), namespace, ingress, service (the
//   location's Ingress and Service: the PRIMARY's, also for a request the canary served), and canary
//   (the alternative upstream that served it, `<namespace>-<service>-<port>`, or "" for the primary).
// A Prometheus scrapes it in Prometheus text format 0.0.4.
import type { MetricLocation } from './types';

/** The labels of one request, in ingress-nginx's names: where it was counted (from routing), and its answer. */
export interface RequestLabels extends MetricLocation {
  status: string;
  method: string;
}

/** The location part, known from routing; status and method come from the request and its answer. */
export type LocationLabels = MetricLocation;

/** ingress-nginx's buckets for request_duration_seconds (prometheus.DefBuckets). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const LABEL_ORDER: Array<keyof RequestLabels> = ['canary', 'host', 'ingress', 'method', 'namespace', 'path', 'service', 'status'];

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: RequestLabels, extra = '') => `{${LABEL_ORDER.map((k) => `${k}="${escape(labels[k])}"`).join(',')}${extra}}`;

interface Series {
  labels: RequestLabels;
  count: number;
  sum: number;
  buckets: number[];
}

export class RequestMetrics {
  private readonly series = new Map<string, Series>();

  observe(labels: RequestLabels, seconds: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, count: 0, sum: 0, buckets: DURATION_BUCKETS.map(() => 0) }));
    s.count++;
    s.sum += seconds;
    const { buckets } = s;
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) buckets[i] = (buckets[i] ?? 0) + 1;
    });
  }

  /** Requests counted so far whose labels match every given label (for tests). */
  count(match: Partial<RequestLabels> = {}): number {
    let n = 0;
    for (const s of this.series.values()) if (Object.entries(match).every(([k, v]) => s.labels[k as keyof RequestLabels] === v)) n += s.count;
    return n;
  }

  /** The exposition a scrape gets. */
  text(): string {
    const out: string[] = [
      '# HELP nginx_ingress_controller_requests The total number of client requests',
      '# TYPE nginx_ingress_controller_requests counter',
    ];
    for (const s of this.series.values()) out.push(`nginx_ingress_controller_requests${labelText(s.labels)} ${s.count}`);
    out.push(
      '# HELP nginx_ingress_controller_request_duration_seconds The request processing time in milliseconds',
      '# TYPE nginx_ingress_controller_request_duration_seconds histogram',
    );
    for (const s of this.series.values()) {
      DURATION_BUCKETS.forEach((le, i) => out.push(`nginx_ingress_controller_request_duration_seconds_bucket${labelText(s.labels, `,le="${le}"`)} ${s.buckets[i]}`));
      out.push(`nginx_ingress_controller_request_duration_seconds_bucket${labelText(s.labels, ',le="+Inf"')} ${s.count}`);
      out.push(`nginx_ingress_controller_request_duration_seconds_sum${labelText(s.labels)} ${s.sum}`);
      out.push(`nginx_ingress_controller_request_duration_seconds_count${labelText(s.labels)} ${s.count}`);
    }
    return `${out.join('\n')}\n`;
  }
}
