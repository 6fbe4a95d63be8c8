// Open-loop signed load, as Twilio sends: request i is due at start + i / rate whatever the
// answers to the earlier ones, so a slow answer never delays the next request. Each
// latency is measured from the request's scheduled time to the end of its answer, so a
// stall shows in full (no coordinated omission: autocannon's overallRate waits for a
// free connection and measures from the actual send, which hides it).
// Every request is a new MessageSid under a random prefix, signed as Twilio signs for
// `url` (the public URL Twilio knows). With `sendTo` (several servers' origins, e.g. the
// processes behind one public URL) the requests alternate between them, round-robin, as a
// load balancer would spread them. Same request as ../shared/bench/drive.mjs.
// Usage: node drive-open.mjs '{"url":"...","token":"...","sendTo":["http://127.0.0.1:3001"],"rate":1000,"seconds":10,"sockets":512}'
// (settings as one JSON argument; sendTo, rate, seconds, warmupSeconds, sockets, lateMs,
// drainMs and scrapeFirst are optional).
// warmupSeconds: the same schedule runs that long before the measured `seconds` begin, and
// its answers count only if they fail (non-2xx, errors): the first second of a fresh load
// generator (its own code not yet compiled, its sockets not yet open) is not the steady
// rate being measured. Its MessageSids carry their own prefix (`warmupPrefix`).
// scrapeFirst: URLs fetched (and the answers dropped) when the measured part begins, e.g.
// the servers' /metrics, whose event-loop histogram prom-client resets at each
// collection, so it then covers the measured load alone.
// Prints one JSON line of figures.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';

const settings = JSON.parse(process.argv[2] ?? '{}');
const { url, token } = settings;
const sendTo = settings.sendTo ?? [url];
if (typeof url !== 'string' || typeof token !== 'string' || !Array.isArray(sendTo) || sendTo.length === 0) {
  console.error('drive-open.mjs: pass {"url": ..., "token": ...} as the first argument');
  process.exit(2);
}
const rate = Number(settings.rate ?? 1000);
const seconds = Number(settings.seconds ?? 10);
const warmupSeconds = Number(settings.warmupSeconds ?? 0);
// Sockets per server: enough that a stall of a few hundred ms at 1,600/s does not queue
// requests behind busy sockets (Twilio opens connections as it needs them).
const sockets = Number(settings.sockets ?? 512);
// A request that got its socket more than this after its scheduled time was sent late.
const lateMs = Number(settings.lateMs ?? 10);
// After the last scheduled send, how long to wait for outstanding answers.
const drainMs = Number(settings.drainMs ?? 30_000);

const warm = Math.round(rate * warmupSeconds);
const measured = Math.max(1, Math.round(rate * seconds));
const total = warm + measured;
const interval = 1000 / rate;
const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
const signed = new URL(url);
const path = `${signed.pathname}${signed.search}`;
const targets = sendTo.map((origin) => {
  const u = new URL(origin);
  return { hostname: u.hostname, port: Number(u.port || 80) };
});
const prefix = randomBytes(6).toString('hex');
const warmupPrefix = randomBytes(6).toString('hex');
const params = (sid) => ({
  AccountSid: `AC${'a'.repeat(32)}`,
  ApiVersion: '2010-04-01',
  Body: 'Hello from the benchmark 👋',
  From: 'whatsapp:+14155550100',
  MessageSid: sid,
  NumMedia: '0',
  NumSegments: '1',
  ProfileName: 'Bench',
  SmsMessageSid: sid,
  SmsSid: sid,
  SmsStatus: 'received',
  To: 'whatsapp:+14155238886',
  WaId: '14155550100',
});

// Per measured request: latency from its scheduled time (NaN until answered) and its send delay.
const latency = new Float64Array(measured).fill(Number.NaN);
const sendDelay = new Float64Array(measured);
let ok = 0;
let non2xx = 0;
let errors = 0;
let late = 0;
let outstanding = 0;
let lastDone = 0;
let t0 = 0;
let onIdle = () => {};

/** Request i of the whole schedule; the measured ones are i >= warm (index m = i - warm). */
function send(i) {
  const due = t0 + i * interval;
  const m = i - warm;
  const target = targets[i % targets.length];
  const sid = `SM${m < 0 ? warmupPrefix : prefix}${(m < 0 ? i : m).toString(16).padStart(20, '0')}`;
  const p = params(sid);
  const body = new URLSearchParams(p).toString();
  outstanding++;
  const req = http.request({
    agent,
    hostname: target.hostname,
    port: target.port,
    path,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
      'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, p),
    },
  });
  req.once('socket', () => {
    if (m < 0) return;
    const d = performance.now() - due;
    sendDelay[m] = d;
    if (d > lateMs) late++;
  });
  let settled = false;
  const settle = () => {
    if (settled) return false;
    settled = true;
    outstanding--;
    if (outstanding === 0) onIdle();
    return true;
  };
  req.on('response', (res) => {
    res.resume();
    res.on('end', () => {
      const now = performance.now();
      if (!settle()) return;
      const success = res.statusCode >= 200 && res.statusCode < 300;
      if (!success) non2xx++;
      if (m < 0) return;
      latency[m] = now - due;
      lastDone = Math.max(lastDone, now);
      if (success) ok++;
    });
  });
  req.on('error', () => {
    if (settle()) errors++;
  });
  req.end(body);
}

const percentile = (sorted, q) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

/**
 * Asks for scrapeFirst's URLs (answers dropped), at once, without waiting, through the
 * load's own keep-alive pool: on a socket already open, the scrape is written before
 * the first measured request and normally reaches the server first (two sockets give
 * no strict order; a new connection, as fetch's, let that request overtake it every
 * time here).
 */
function scrape() {
  for (const u of settings.scrapeFirst ?? []) {
    http
      .get(u, { agent }, (res) => res.resume())
      // A server without metrics: nothing to reset.
      .on('error', () => {});
  }
}

let next = 0;
await new Promise((resolve) => {
  // A short pause before the first request so the process has settled.
  t0 = performance.now() + 20;
  const tick = () => {
    const now = performance.now();
    while (next < total && t0 + next * interval <= now) {
      if (next === warm) scrape();
      send(next++);
    }
    if (next < total) setTimeout(tick, Math.max(0, t0 + next * interval - performance.now()));
    else resolve();
  };
  setTimeout(tick, 20);
});
const measuredStart = t0 + warm * interval;
const scheduleEnd = t0 + total * interval;
if (outstanding > 0) {
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, drainMs);
    onIdle = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}
const timeouts = outstanding;
agent.destroy();

const answered = Array.from(latency.filter((x) => !Number.isNaN(x))).sort((a, b) => a - b);
const delays = Array.from(sendDelay).sort((a, b) => a - b);
const elapsedMs = Math.max(scheduleEnd, lastDone) - measuredStart;
const round = (x) => (Number.isNaN(x) ? null : Math.round(x * 100) / 100);
console.log(
  JSON.stringify({
    prefix,
    warmupPrefix,
    warmupSent: warm,
    offered: rate,
    sent: measured,
    rps: ok / (elapsedMs / 1000),
    p50_ms: round(percentile(answered, 0.5)),
    p99_ms: round(percentile(answered, 0.99)),
    max_ms: round(answered.at(-1) ?? Number.NaN),
    ok,
    non2xx,
    errors,
    timeouts,
    late,
    send_delay_p99_ms: round(percentile(delays, 0.99)),
    send_delay_max_ms: round(delays.at(-1) ?? Number.NaN),
  }),
);
process.exit(0);
