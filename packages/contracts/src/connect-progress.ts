import { z } from 'zod';

/**
 * The connect flow's steps, in the order the server runs them: check the credentials,
 * find the number's sender (or the Messaging Service and its WhatsApp senders), store
 * the connection, point Twilio's webhooks at it.
 */
export const connectSteps = ['verify_credentials', 'find_sender', 'save', 'configure_webhooks'] as const;
export type ConnectStep = (typeof connectSteps)[number];

/** A step shows done only once the server finished it; failed where it stopped. */
export const connectStepStates = ['running', 'done', 'failed'] as const;
export type ConnectStepState = (typeof connectStepStates)[number];

/** Made by the browser for one press of Connect; its steps are polled with it. */
export const connectAttemptId = z.uuid({ error: 'That connect attempt id is not valid.' });

export const connectProgressInput = z.object({ attemptId: connectAttemptId });
export type ConnectProgressInput = z.input<typeof connectProgressInput>;

export const connectProgress = z.object({
  /** The steps the server has started, in the order above; a step not listed has not started. */
  steps: z.array(
    z.object({
      step: z.enum(connectSteps),
      state: z.enum(connectStepStates),
      /** Why it failed, as the person is told; null otherwise. */
      message: z.string().nullable(),
    }),
  ),
});
export type ConnectProgress = z.infer<typeof connectProgress>;
