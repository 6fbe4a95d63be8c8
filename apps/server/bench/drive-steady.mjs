// Steady signed load for the processing-lag measurement: RATE deliveries/s in total
// (autocannon overallRate), each a new MessageSid under a random prefix, signed as
// Twilio signs. Same request as ../shared/bench/drive.mjs.
// Usage: node drive-steady.mjs '{"url":"...","token":"...","rate":1000,"seconds":10,"connections":64}'
// (settings as one JSON argument; rate, seconds and connections are optional).
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import twilio from 'twilio';

const settings = JSON.parse(process.argv[2] ?? '{}');
const { url, token } = settings;
if (typeof url !== 'string' || typeof token !== 'string') {
  console.error('drive-steady.mjs: pass {"url": ..., "token": ...} as the first argument');
  process.exit(2);
}
const prefix = randomBytes(6).toString('hex');
let n = 0;
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
const result = await autocannon({
  url,
  method: 'POST',
  connections: Number(settings.connections ?? 64),
  duration: Number(settings.seconds ?? 10),
  overallRate: Number(settings.rate ?? 1000),
  requests: [
    {
      setupRequest: (req) => {
        const sid = `SM${prefix}${(n++).toString(16).padStart(20, '0')}`;
        const p = params(sid);
        return {
          ...req,
          body: new URLSearchParams(p).toString(),
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, p),
          },
        };
      },
    },
  ],
});
console.log(
  JSON.stringify({
    prefix,
    rps: result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }),
);
