import { describe, expect, it } from 'vitest';
import { OutageLog } from '../src/webhooks/outage-log.ts';

function recorder() {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    log: { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) },
  };
}

describe('the intake says one line per outage, a summary at most every 30 s, and one when it is over', () => {
  it('3,500 503s over 42 s: one start line, one summary, one line when the database is back', () => {
    let now = 1_000_000;
    const { lines, log } = recorder();
    const outage = new OutageLog(log as never, { now: () => now });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 3_500; i++) {
      outage.unavailable(refused);
      now += 12; // 3,500 × 12 ms = 42 s
    }
    outage.reachable();

    expect(lines.map((l) => l.msg)).toEqual([
      'webhook intake: database unavailable; answering 503 until it is back',
      'webhook intake: database still unavailable',
      'webhook intake: database reachable again',
    ]);
    expect(lines[0]?.fields).toEqual({ reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432' });
    // No stack in any line.
    expect(JSON.stringify(lines)).not.toContain('    at ');
    const summary = lines[1]!.fields;
    const back = lines[2]!.fields;
    // Every 503 is counted once, in the summary or the closing line.
    expect((summary.answered503 as number) + (back.answered503 as number)).toBe(3_499);
    expect(back.answered503Total).toBe(3_500);
    expect(back.outageSeconds).toBe(42);
  });

  it('a second outage starts its own line; a success without an outage says nothing', () => {
    const { lines, log } = recorder();
    const outage = new OutageLog(log as never);
    outage.reachable();
    expect(lines).toEqual([]);
    outage.unavailable(new Error('down'));
    outage.reachable();
    outage.unavailable(new Error('down again'));
    expect(lines.map((l) => l.msg)).toEqual([
      'webhook intake: database unavailable; answering 503 until it is back',
      'webhook intake: database reachable again',
      'webhook intake: database unavailable; answering 503 until it is back',
    ]);
  });
});
