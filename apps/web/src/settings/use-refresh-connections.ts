import { useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc.ts';

/** Refetches the connection list; resolves once the cards show what the server has now. */
export function useRefreshConnections(): () => Promise<void> {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.whatsapp.connections.list.queryKey() });
}
