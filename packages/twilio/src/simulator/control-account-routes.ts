import type { FastifyInstance } from 'fastify';
import type { TemplateApproval, TemplateInput } from './content/templates.ts';
import { registerSenderStateRoutes } from './control-sender-routes.ts';
import type { AccountStatus, RecipientBehaviour } from './core/accounts.ts';
import type { ServiceInput } from './services/product.ts';
import type { Simulator } from './simulator.ts';

/** Seeding accounts, numbers, senders, templates, Messaging Services, the sandbox and recipients' behaviour. */
export function registerAccountRoutes(scope: FastifyInstance, sim: Simulator) {
  registerAccountAndSenderRoutes(scope, sim);
  registerSenderStateRoutes(scope, sim);
  registerTemplateRoutes(scope, sim);
  registerServiceRoutes(scope, sim);
  registerSandboxAndConversationRoutes(scope, sim);
}

/** Accounts, their incoming numbers and WhatsApp senders, and how their recipients behave. */
function registerAccountAndSenderRoutes(scope: FastifyInstance, sim: Simulator) {
  scope.post<{
    Body: {
      sid?: string;
      authToken?: string;
      status?: AccountStatus;
      friendlyName?: string;
      sandboxKeyword?: string;
    };
  }>('/accounts', async (request, reply) => reply.code(201).send(sim.seedAccount(request.body ?? {})));

  scope.get<{ Params: { sid: string } }>('/accounts/:sid', async (request, reply) => {
    const account = sim.accounts.get(request.params.sid);
    if (!account) return reply.code(404).send({ error: `No simulated account ${request.params.sid}` });
    const { authToken: _token, ...visible } = account;
    return {
      ...visible,
      incomingNumbers: [...sim.incomingNumbers.values()].filter((n) => n.accountSid === account.sid),
      senders: [...sim.senders.values()].filter((s) => s.accountSid === account.sid),
      templates: sim.content.ofAccount(account.sid),
      services: sim.messagingServices.ofAccount(account.sid),
    };
  });

  scope.patch<{
    Params: { sid: string };
    Body: { status?: AccountStatus; behaviour?: RecipientBehaviour };
  }>('/accounts/:sid', async (request, reply) => {
    if (request.body?.status) sim.setAccountStatus(request.params.sid, request.body.status);
    if (request.body?.behaviour) sim.setRecipientBehaviour(request.params.sid, null, request.body.behaviour);
    return reply.code(204).send();
  });

  scope.post<{ Params: { sid: string }; Body: { phoneNumber: string } }>(
    '/accounts/:sid/senders',
    async (request, reply) =>
      reply.code(201).send(sim.addWhatsappSender(request.params.sid, request.body.phoneNumber)),
  );

  scope.post<{ Params: { sid: string }; Body: { phoneNumber: string } }>(
    '/accounts/:sid/incoming-numbers',
    async (request, reply) =>
      reply.code(201).send(sim.addIncomingNumber(request.params.sid, request.body.phoneNumber)),
  );

  scope.put<{
    Params: { sid: string };
    Body: { recipient?: string | null; behaviour: RecipientBehaviour };
  }>('/accounts/:sid/behaviour', async (request, reply) => {
    sim.setRecipientBehaviour(request.params.sid, request.body.recipient ?? null, request.body.behaviour);
    return reply.code(204).send();
  });
}

/** Content templates and their WhatsApp approval. */
function registerTemplateRoutes(scope: FastifyInstance, sim: Simulator) {
  scope.post<{ Params: { sid: string }; Body: TemplateInput }>(
    '/accounts/:sid/templates',
    async (request, reply) =>
      reply.code(201).send({ sid: sim.addTemplate(request.params.sid, request.body).sid }),
  );

  scope.patch<{
    Params: { sid: string; templateSid: string };
    Body: { approval: TemplateApproval; rejectionReason?: string };
  }>('/accounts/:sid/templates/:templateSid', async (request, reply) => {
    if (sim.templates.get(request.params.templateSid)?.accountSid !== request.params.sid) {
      return reply
        .code(404)
        .send({ error: `No template ${request.params.templateSid} in ${request.params.sid}` });
    }
    const { approval, rejectionReason } = request.body;
    return sim.setTemplateApproval(request.params.templateSid, approval, rejectionReason);
  });
}

/** Messaging Services and their sender pools. */
function registerServiceRoutes(scope: FastifyInstance, sim: Simulator) {
  scope.post<{ Params: { sid: string }; Body: ServiceInput | undefined }>(
    '/accounts/:sid/services',
    async (request, reply) =>
      reply.code(201).send(sim.addMessagingService(request.params.sid, request.body ?? {})),
  );

  scope.post<{ Params: { sid: string; serviceSid: string }; Body: { phoneNumber: string } }>(
    '/accounts/:sid/services/:serviceSid/senders',
    async (request, reply) => {
      const service = sim.services.get(request.params.serviceSid);
      if (service?.accountSid !== request.params.sid) {
        return reply
          .code(404)
          .send({ error: `No Messaging Service ${request.params.serviceSid} in ${request.params.sid}` });
      }
      return reply.code(201).send(sim.addServiceSender(service.sid, request.body.phoneNumber));
    },
  );
}

/** The WhatsApp sandbox (its webhooks and members) and open customer-service windows. */
function registerSandboxAndConversationRoutes(scope: FastifyInstance, sim: Simulator) {
  scope.put<{ Params: { sid: string }; Body: { inboundUrl: string | null; statusUrl?: string | null } }>(
    '/accounts/:sid/sandbox',
    async (request, reply) => {
      sim.setSandboxWebhook(request.params.sid, request.body.inboundUrl, request.body.statusUrl);
      return reply.code(204).send();
    },
  );

  scope.post<{ Params: { sid: string }; Body: { address: string } }>(
    '/accounts/:sid/sandbox/members',
    async (request, reply) => {
      sim.joinSandbox(request.params.sid, request.body.address);
      return reply.code(204).send();
    },
  );

  scope.post<{ Params: { sid: string }; Body: { sender: string; customer: string; lastInboundAt?: string } }>(
    '/accounts/:sid/conversations',
    async (request, reply) => {
      const { sender, customer, lastInboundAt } = request.body;
      sim.openConversation(request.params.sid, sender, customer, lastInboundAt);
      return reply.code(204).send();
    },
  );
}
