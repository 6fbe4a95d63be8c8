import { authRouter } from '../auth/router.ts';
import { eventsRouter } from '../connections/events-router.ts';
import { connectionsRouter } from '../connections/router.ts';
import { healthCheckRouter } from '../health-check/router.ts';
import { conversationsRouter } from '../messages/conversations-router.ts';
import { messagesRouter } from '../messages/router.ts';
import { syncRouter } from '../reconciliation/router.ts';
import { templatesRouter } from '../templates/router.ts';
import { router } from './trpc.ts';

/** `whatsapp.*`: one line per feature router. */
const whatsappRouter = {
  connections: { ...connectionsRouter, ...syncRouter, ...healthCheckRouter },
  events: eventsRouter,
  messages: messagesRouter,
  conversations: conversationsRouter,
  templates: templatesRouter,
};

export const appRouter = router({
  auth: authRouter,
  whatsapp: whatsappRouter,
});

export type AppRouter = typeof appRouter;
