import { readFileSync } from 'node:fs';
import path from 'node:path';

/** What global-setup started, for the tests (they run in other processes). */
export interface RunState {
  /** The app server: SPA, /trpc, /webhooks. */
  baseUrl: string;
  /** The Twilio simulator (its control API is under /_simulator). */
  simulatorUrl: string;
  /** The server's embedded PostgreSQL, to seed what the UI cannot create (members). */
  databaseUrl: string;
}

export const runStateFile = path.join(import.meta.dirname, '../artifacts/run-state.json');

export function readRunState(): RunState {
  return JSON.parse(readFileSync(runStateFile, 'utf8')) as RunState;
}
