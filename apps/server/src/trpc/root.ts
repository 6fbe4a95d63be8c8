import { authRouter } from '../auth/router.ts';
import { eventsRouter } from '../connections/events-router.ts';
import { connectionsRouter } from '../connections/router.ts';
import { messagesRouter } from '../messages/router.ts';
import { router } from './trpc.ts';

// One line per feature router; add `messages: messagesRouter` beside the others.
const whatsappRouter = {
  connections: connectionsRouter,
  events: eventsRouter,
  messages: messagesRouter,
};

export const appRouter = router({
  auth: authRouter,
  whatsapp: whatsappRouter,
});

export type AppRouter = typeof appRouter;
