import { z } from 'zod';

export const email = z
  .string({ error: 'Enter your email address.' })
  .trim()
  .min(1, { error: 'Enter your email address.', abort: true })
  .max(254, 'That email address is too long.')
  .pipe(z.email({ error: 'Enter an email address like name@example.com.' }))
  .transform((s) => s.toLowerCase());

export const newPassword = z
  .string({ error: 'Choose a password.' })
  .min(12, 'Use at least 12 characters.')
  .max(256, 'Use at most 256 characters.');

export const signUpInput = z.object({
  organizationName: z
    .string({ error: "Enter your organization's name." })
    .trim()
    .min(1, "Enter your organization's name.")
    .max(200, 'Keep the name to 200 characters or fewer.'),
  displayName: z.string().trim().max(200, 'Keep your name to 200 characters or fewer.').optional(),
  email,
  password: newPassword,
});
export type SignUpInput = z.input<typeof signUpInput>;

export const signInInput = z.object({
  email,
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(256),
});
export type SignInInput = z.input<typeof signInInput>;

/** A person's role in their organization; the database's profiles.role holds one of these. */
export const orgRoles = ['owner', 'admin', 'member'] as const;
export const orgRole = z.enum(orgRoles);
export type OrgRole = z.infer<typeof orgRole>;

/**
 * Owners and admins manage the organization's connections: the server lets only them
 * through (adminProcedure) and offers them Repair; the settings screen shows them the
 * forms. Mirrors the "Admins can manage …" policies; RLS stays the backstop.
 */
export function canManageConnections(user: { role: OrgRole }): boolean {
  return user.role === 'owner' || user.role === 'admin';
}
