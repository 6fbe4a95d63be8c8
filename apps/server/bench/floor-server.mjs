// The commit floor: the cheapest durable answer this machine can give, measured in the
// same run as the product. Per request it reads the body, takes its MessageSid, and
// answers 200 only once a commit holding it is durable, nothing else: no signature, no
// payload, no worker. Deliveries that arrive while a commit is in flight go into the
// next one (group commit, one statement in flight, as the product's intake does), into a
// one-column table. Its latency is what the disk's flush and the CPU's scheduling cost
// beside the load; the null server's is what answering costs. (DATABASE_URL, PORT)
import http from 'node:http';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
await sql`create table if not exists floor_deliveries (message_sid text primary key)`;

/** MessageSid -> the answers waiting for the commit that holds it. */
let queue = new Map();
let inFlight = false;

function store(sid) {
  return new Promise((resolve, reject) => {
    const waiting = queue.get(sid);
    if (waiting) waiting.push({ resolve, reject });
    else queue.set(sid, [{ resolve, reject }]);
    if (!inFlight && queue.size === 1) setImmediate(flush);
  });
}

async function flush() {
  if (inFlight || queue.size === 0) return;
  inFlight = true;
  const batch = queue;
  queue = new Map();
  try {
    await sql`insert into floor_deliveries (message_sid) select unnest(${[...batch.keys()]}::text[]) on conflict do nothing`;
    for (const waiters of batch.values()) for (const w of waiters) w.resolve();
  } catch (error) {
    for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
  } finally {
    inFlight = false;
    if (queue.size > 0) setImmediate(flush);
  }
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    req.resume();
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    const sid = new URLSearchParams(body).get('MessageSid');
    if (!sid) {
      res.writeHead(400).end();
      return;
    }
    store(sid).then(
      () => res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response></Response>'),
      () => res.writeHead(503).end(),
    );
  });
});
// As the product's (apps/server/src/server.ts): an open-loop run keeps up to hundreds of
// sockets alive, and closing the idle ones after Node's default 5 s would make the floor
// pay reconnects the product does not.
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
