// What a task's settles cost, read from its log. Every settle ends with one of two lines of
// shared/routers/fence.ts: "<product> applied the change after N s (the fence answers S)" when the fence
// was observed, or the warning "Cannot observe whether <product> applied the change: <why>. Waiting the
// fixed N s (input settleSeconds) instead." when it fell back to the fixed wait.

export interface Settle {
  how: 'fence' | 'fixed';
  /** Seconds waited: from the fence's first poll until it was served, or the fixed wait. */
  seconds: number;
}

const FENCE_SERVED = / applied the change after ([\d.]+) s \(the fence answers \d+\)/;
const FIXED_WAIT = /Cannot observe whether .+ applied the change: .*Waiting the fixed (\d+) s \(input settleSeconds\) instead\./;

/** The task's settles in the order they happened. */
export function settlesIn(log: string): Settle[] {
  const settles: Settle[] = [];
  for (const line of log.split('\n')) {
    const served = FENCE_SERVED.exec(line);
    if (served) settles.push({ how: 'fence', seconds: Number(served[1]) });
    const fixed = FIXED_WAIT.exec(line);
    if (fixed) settles.push({ how: 'fixed', seconds: Number(fixed[1]) });
  }
  return settles;
}

export interface SettleSummary {
  count: number;
  fence: number;
  fixed: number;
  /** Seconds spent waiting in all of them. */
  seconds: number;
}

export function summarise(settles: Settle[]): SettleSummary {
  const total = settles.reduce((sum, s) => sum + s.seconds, 0);
  return {
    count: settles.length,
    fence: settles.filter((s) => s.how === 'fence').length,
    fixed: settles.filter((s) => s.how === 'fixed').length,
    seconds: Math.round(total * 10) / 10,
  };
}

/** "2 settles (fence), 8.9 s waiting: 4.4 + 4.5 s" */
export function describeSettles(settles: Settle[]): string {
  const s = summarise(settles);
  const how = s.fence && s.fixed ? `${s.fence} fence, ${s.fixed} fixed` : s.fixed ? 'fixed wait' : 'fence';
  return `${s.count} settle${s.count === 1 ? '' : 's'} (${how}), ${s.seconds.toFixed(1)} s waiting${s.count > 1 ? `: ${settles.map((x) => x.seconds.toFixed(1)).join(' + ')} s` : ''}`;
}
