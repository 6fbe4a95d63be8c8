import { orgRoles } from '@app/contracts';
import { describe, expect, it } from 'vitest';
import { canManageConnections } from '../src/auth/acting-user.ts';

describe('canManageConnections', () => {
  it('owners and admins manage connections; members do not', () => {
    expect(Object.fromEntries(orgRoles.map((role) => [role, canManageConnections({ role })]))).toEqual({
      owner: true,
      admin: true,
      member: false,
    });
  });
});
