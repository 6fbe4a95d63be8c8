import { describe, expect, it } from 'vitest';
import { canManageConnections, orgRoles } from '../src/auth.ts';

describe('canManageConnections', () => {
  it('owners and admins manage connections; members do not', () => {
    expect(Object.fromEntries(orgRoles.map((role) => [role, canManageConnections({ role })]))).toEqual({
      owner: true,
      admin: true,
      member: false,
    });
  });
});
