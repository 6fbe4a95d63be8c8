import { SimulatorError } from './errors.ts';
import { newAuthToken, newSid } from './ids.ts';

export type AccountStatus = 'active' | 'suspended' | 'closed';
/** How the simulated WhatsApp network treats messages to a recipient. */
export type RecipientBehaviour = 'deliver' | 'no_read' | 'fail';

export interface SimAccount {
  sid: string;
  authToken: string;
  friendlyName: string;
  status: AccountStatus;
  type: 'Full' | 'Trial';
  dateCreated: Date;
  dateUpdated: Date;
  sandbox: { keyword: string; inboundUrl: string | null; statusUrl: string | null };
  behaviour: RecipientBehaviour;
}

export interface SeedAccountInput {
  sid?: string;
  authToken?: string;
  status?: AccountStatus;
  friendlyName?: string;
  sandboxKeyword?: string;
}

/** The simulated Twilio accounts and their credentials. */
export class AccountBook {
  readonly accounts = new Map<string, SimAccount>();

  seed(input: SeedAccountInput = {}): { sid: string; authToken: string } {
    const sid = input.sid ?? newSid('AC');
    if (!/^AC[0-9a-f]{32}$/.test(sid))
      throw new SimulatorError(`${sid} is not an Account SID (AC + 32 lowercase hex)`);
    const now = new Date();
    const existing = this.accounts.get(sid);
    if (existing) {
      // Seeding a known SID again changes it in place (e.g. a rotated token) and keeps its numbers and sandbox.
      if (input.authToken !== undefined) existing.authToken = input.authToken;
      if (input.status !== undefined) existing.status = input.status;
      if (input.friendlyName !== undefined) existing.friendlyName = input.friendlyName;
      if (input.sandboxKeyword !== undefined) existing.sandbox.keyword = input.sandboxKeyword;
      existing.dateUpdated = now;
      return { sid, authToken: existing.authToken };
    }
    const account: SimAccount = {
      sid,
      authToken: input.authToken ?? newAuthToken(),
      friendlyName: input.friendlyName ?? `Simulated account ${sid.slice(-6)}`,
      status: input.status ?? 'active',
      type: 'Full',
      dateCreated: now,
      dateUpdated: now,
      sandbox: { keyword: input.sandboxKeyword ?? 'simulated-sandbox', inboundUrl: null, statusUrl: null },
      behaviour: 'deliver',
    };
    this.accounts.set(sid, account);
    return { sid, authToken: account.authToken };
  }

  require(sid: string): SimAccount {
    const account = this.accounts.get(sid);
    if (!account) throw new SimulatorError(`No simulated account ${sid}`);
    return account;
  }

  setStatus(sid: string, status: AccountStatus) {
    const account = this.require(sid);
    account.status = status;
    account.dateUpdated = new Date();
  }

  /** The account an HTTP Basic `Authorization` header names, if its token is right and it is not closed. */
  authenticate(header: string | undefined): SimAccount | undefined {
    const encoded = /^Basic\s+(.+)$/i.exec(header ?? '')?.[1];
    if (!encoded) return undefined;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return undefined;
    const account = this.accounts.get(decoded.slice(0, colon));
    if (!account || account.status === 'closed' || account.authToken !== decoded.slice(colon + 1))
      return undefined;
    return account;
  }

  clear() {
    this.accounts.clear();
  }
}
