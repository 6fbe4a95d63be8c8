// Reconciliation with Twilio's Messages API: reconciler.ts (the runs, the
// background queue and timers), recovered-events.ts (Twilio's messages as the
// events a webhook would have stored), router.ts (`whatsapp.connections.sync`).
export { ReconciliationBusyError } from './errors.ts';
export { Reconciler, type ReconciliationOptions, type ReconciliationTrigger } from './reconciler.ts';
