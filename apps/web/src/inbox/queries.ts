import type { WhatsappConversation } from '@app/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC, useTRPCClient } from '../lib/trpc.ts';

/** New messages, status ticks and unread counts show within this long, without a reload. */
export const POLL_MS = 2_000;

export type Conversation = WhatsappConversation;

/** One number's conversations, most recent first, polled like the thread. */
export function useConversations(connectionId: string) {
  const trpc = useTRPC();
  return useQuery(
    trpc.whatsapp.conversations.list.queryOptions({ connectionId }, { refetchInterval: POLL_MS }),
  );
}

/**
 * The number's Twilio account's templates (the server caches them briefly). `refresh`
 * asks Twilio again, for a template just approved in Twilio's console.
 */
export function useTemplates(connectionId: string) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const templates = useQuery(trpc.whatsapp.templates.list.queryOptions({ connectionId }));
  const [refreshing, setRefreshing] = useState(false);
  const [refreshError, setRefreshError] = useState<unknown>(null);
  async function refresh() {
    setRefreshing(true);
    setRefreshError(null);
    try {
      const fresh = await client.whatsapp.templates.list.query({ connectionId, refresh: true });
      queryClient.setQueryData(trpc.whatsapp.templates.list.queryKey({ connectionId }), fresh);
    } catch (error) {
      setRefreshError(error);
    } finally {
      setRefreshing(false);
    }
  }
  return { templates, refresh, refreshing, refreshError };
}
