import { type ConnectionTargetKind, type ConnectStep, connectSteps } from '@app/contracts';
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTRPC } from '../lib/trpc.ts';

/** How often the steps are asked for while the connect request runs. */
const POLL_MS = 300;

function labelOf(step: ConnectStep, kind: ConnectionTargetKind): string {
  switch (step) {
    case 'verify_credentials':
      return 'Verifying your credentials with Twilio';
    case 'find_sender':
      return kind === 'messaging_service'
        ? 'Finding the Messaging Service and its WhatsApp senders'
        : 'Finding the WhatsApp sender';
    case 'save':
      return 'Saving the connection';
    case 'configure_webhooks':
      return 'Configuring webhooks';
  }
}

type Shown = 'done' | 'current' | 'failed' | 'todo';
const stateWords: Record<Shown, string> = {
  done: 'done',
  current: 'in progress',
  failed: 'failed',
  todo: 'not started',
};

/**
 * The connect flow's steps as the server reports them (whatsapp.connections.connectProgress,
 * polled while the request runs): a step shows done only once the server finished it,
 * and a failure stays shown at the step where it happened. While nothing is reported
 * yet (the request is on its way) the first step is the current one.
 */
export function ConnectProgress({
  attemptId,
  running,
  kind,
}: {
  /** The attempt the form started; null before the first press of Connect. */
  attemptId: string | null;
  running: boolean;
  kind: ConnectionTargetKind;
}) {
  const trpc = useTRPC();
  const progress = useQuery(
    trpc.whatsapp.connections.connectProgress.queryOptions(
      { attemptId: attemptId ?? '00000000-0000-4000-8000-000000000000' },
      {
        enabled: attemptId !== null,
        refetchInterval: running ? POLL_MS : false,
        // Each attempt is new: nothing from an earlier one is shown for it.
        staleTime: 0,
        gcTime: 0,
      },
    ),
  );
  // Once the answer came, one last read shows where it stopped.
  const { refetch } = progress;
  useEffect(() => {
    if (!running && attemptId !== null) void refetch();
  }, [running, attemptId, refetch]);

  const reported = new Map((progress.data?.steps ?? []).map((s) => [s.step, s]));
  const failed = [...reported.values()].some((s) => s.state === 'failed');
  const visible = running || failed;
  const firstOpen = connectSteps.findIndex((step) => reported.get(step)?.state !== 'done');
  const shown = connectSteps.map((step, index): Shown => {
    const state = reported.get(step)?.state;
    if (state === 'done') return 'done';
    if (state === 'failed') return 'failed';
    if (state === 'running' || (running && index === firstOpen)) return 'current';
    return 'todo';
  });
  const currentIndex = shown.findIndex((s) => s === 'current' || s === 'failed');
  const currentStep = currentIndex === -1 ? undefined : connectSteps[currentIndex];
  const announcement =
    currentStep === undefined
      ? ''
      : shown[currentIndex] === 'failed'
        ? `${labelOf(currentStep, kind)}: failed.`
        : `${labelOf(currentStep, kind)}…`;

  // Only the sentence is live (announced once per step); the list beside it is not,
  // so a step change is not read out as the whole list again.
  return (
    <div className={visible ? 'progress' : 'alert-region'}>
      <div role="status">{visible && <p className="visually-hidden">{announcement}</p>}</div>
      {visible && (
        <ol className="progress__steps" aria-label="Connecting">
          {connectSteps.map((step, index) => {
            const state = shown[index] ?? 'todo';
            return (
              <li
                key={step}
                className={`progress__step progress__step--${state}`}
                aria-current={state === 'current' ? 'step' : undefined}
              >
                <span className="progress__marker" aria-hidden="true" />
                <span>
                  {labelOf(step, kind)}
                  {/* The state in words, not by colour alone. */}
                  {state === 'failed' ? (
                    <span className="progress__note"> — failed</span>
                  ) : (
                    <span className="visually-hidden">{` (${stateWords[state]})`}</span>
                  )}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
