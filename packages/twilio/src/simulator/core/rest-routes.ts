import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MatchedOperation, TwilioOpenApi } from '../openapi/twilio-openapi.ts';
import type { SimulatorCore } from './core.ts';
import type { Answer, Form, OperationHandler } from './rest.ts';
import { notFound, parseForm, twilioError } from './rest.ts';
import { sleep } from './webhooks.ts';

interface ReceivedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  matched: MatchedOperation | undefined;
  query: Form;
  body: unknown;
  problems: string[];
}

/** What the REST surface answers from. */
interface RestDeps {
  core: SimulatorCore;
  oai: TwilioOpenApi;
  operations: Readonly<Record<string, OperationHandler>>;
}

/**
 * Twilio's REST surface, served by the products' operations. Every request is
 * routed by Twilio's OpenAPI description and checked against it (violations
 * are recorded), and every successful answer is checked against it too.
 */
export function registerTwilioRestRoutes(
  app: FastifyInstance,
  core: SimulatorCore,
  oai: TwilioOpenApi,
  operations: Readonly<Record<string, OperationHandler>>,
) {
  const deps: RestDeps = { core, oai, operations };
  const handler = (request: FastifyRequest, reply: FastifyReply) => answerTwilioRequest(deps, request, reply);
  app.register(async (scope) => {
    // Twilio's v2010 and v1 APIs take form bodies; Messaging v2 takes JSON (Fastify's default parser).
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, raw, done) => {
        done(null, parseForm(String(raw)));
      },
    );
    // `/v1/*`: the Content API (content.twilio.com) and Messaging v1 (messaging.twilio.com) share one origin here.
    for (const prefix of ['/2010-04-01/*', '/v1/*', '/v2/*']) {
      scope.route({ method: ['GET', 'POST', 'PUT', 'DELETE'], url: prefix, handler });
    }
  });
}

/** One request to the REST surface: checked against the description, recorded, answered. */
async function answerTwilioRequest(deps: RestDeps, request: FastifyRequest, reply: FastifyReply) {
  const { core, oai } = deps;
  const path = new URL(request.url, 'http://simulator').pathname;
  const query = (request.query ?? {}) as Form;
  const body =
    request.body === undefined || request.body === null || request.body === '' ? undefined : request.body;
  const contentType = request.headers['content-type'];
  const matched = oai.match(request.method, path);
  const problems = oai.validateRequest({ method: request.method, path, query, contentType, body });
  const operationId = matched?.operationId;
  if (problems.length > 0) core.log.violations.push({ method: request.method, path, operationId, problems });
  // Recorded on arrival, so a request still hanging shows up too.
  const record = { method: request.method, path, operationId, status: undefined as number | undefined };
  core.log.requests.push(record);
  const authorization = request.headers.authorization;
  const answer = await answerFor(deps, {
    method: request.method,
    path,
    authorization,
    matched,
    query,
    body,
    problems,
  });
  record.status = answer.status;
  if (matched && answer.status < 300) checkAnswer(deps, request.method, path, matched, answer);
  return reply
    .code(answer.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(answer.body);
}

function checkAnswer(
  { core, oai }: RestDeps,
  method: string,
  path: string,
  matched: MatchedOperation,
  answer: Answer,
) {
  const problems = oai.validateResponse(matched.operationId, answer.status, answer.body);
  if (problems.length === 0) return;
  core.log.violations.push({
    method,
    path,
    operationId: matched.operationId,
    problems: problems.map((p) => `simulator answer: ${p}`),
  });
}

async function answerFor({ core, operations }: RestDeps, received: ReceivedRequest): Promise<Answer> {
  const { matched, path } = received;
  const account = core.accounts.authenticate(received.authorization);
  const fault = core.faults.take(matched?.operationId, account?.sid);
  if (fault?.delayMs !== undefined) await sleep(fault.delayMs);
  if (fault?.status !== undefined) {
    return twilioError(fault.status, fault.code ?? fault.status * 100, 'Simulated failure');
  }
  if (!account) return twilioError(401, 20003, 'Authenticate');
  if (!matched) return notFound(path);
  const pathAccount = matched.pathParams.AccountSid;
  if (pathAccount !== undefined && pathAccount !== account.sid) return notFound(path);
  if (account.status !== 'active' && matched.operationId !== 'FetchAccount') {
    return twilioError(401, 20005, `Account ${account.sid} is not active`);
  }
  const handler = operations[matched.operationId];
  if (!handler) return twilioError(405, 20004, 'Method not allowed');
  const { query, body, problems } = received;
  return handler({ account, path, pathParams: matched.pathParams, query, body, problems });
}
