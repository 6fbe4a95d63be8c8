import type { FastifyInstance } from 'fastify';
import type { NumberWebhooksInput, SenderStateInput } from './senders/control.ts';
import type { Simulator } from './simulator.ts';

/**
 * What changes at Twilio without our server asking: a sender going OFFLINE (with
 * Twilio's reasons) or back ONLINE, its quality rating, and webhook URLs edited in
 * the console (a sender's or a phone number's), so tests can see drift. Unknown
 * senders and numbers are 404; bad fields 400 with the field named.
 */
export function registerSenderStateRoutes(scope: FastifyInstance, sim: Simulator) {
  scope.patch<{ Params: { sid: string; senderSid: string }; Body: SenderStateInput }>(
    '/accounts/:sid/senders/:senderSid',
    async (request, reply) => {
      const { sid, senderSid } = request.params;
      if (sim.senders.get(senderSid)?.accountSid !== sid)
        return reply.code(404).send({ error: `No WhatsApp sender ${senderSid} in ${sid}` });
      return sim.setSenderState(sid, senderSid, request.body ?? {});
    },
  );

  scope.patch<{ Params: { sid: string; numberSid: string }; Body: NumberWebhooksInput }>(
    '/accounts/:sid/incoming-numbers/:numberSid',
    async (request, reply) => {
      const { sid, numberSid } = request.params;
      if (sim.incomingNumbers.get(numberSid)?.accountSid !== sid)
        return reply.code(404).send({ error: `No phone number ${numberSid} in ${sid}` });
      return sim.setIncomingNumberWebhooks(sid, numberSid, request.body ?? {});
    },
  );
}
