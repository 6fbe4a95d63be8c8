// Steady signed load for the processing-lag measurement: RATE deliveries/s in total
// (autocannon overallRate), each a new MessageSid under a random prefix, signed as
// Twilio signs. Same request as ../shared/bench/drive.mjs.
// Usage: URL=... TOKEN=... RATE=1000 [SECONDS=10] [CONNECTIONS=64] node drive-steady.mjs
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import twilio from 'twilio';

const url = process.env.URL;
const token = process.env.TOKEN;
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
  connections: Number(process.env.CONNECTIONS ?? 64),
  duration: Number(process.env.SECONDS ?? 10),
  overallRate: Number(process.env.RATE ?? 1000),
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
