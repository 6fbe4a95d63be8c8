import { describe, expect, it } from 'vitest';
import { signInInput, signUpInput } from '../src/auth.ts';
import { issuesFor } from './issues.ts';

describe('signUpInput', () => {
  it('trims the organization name and lower-cases the email', () => {
    expect(
      signUpInput.parse({
        organizationName: '  Acme  ',
        email: ' Ada@Example.COM ',
        password: 'correct horse battery',
      }),
    ).toEqual({ organizationName: 'Acme', email: 'ada@example.com', password: 'correct horse battery' });
  });

  it('asks for a password of at least 12 characters and a real email address', () => {
    expect(issuesFor(signUpInput, { organizationName: 'Acme', email: 'ada', password: 'short' })).toEqual([
      'email: Enter an email address like name@example.com.',
      'password: Use at least 12 characters.',
    ]);
  });

  it('asks for the organization’s name', () => {
    expect(
      issuesFor(signUpInput, { organizationName: '  ', email: 'a@b.co', password: 'x'.repeat(12) }),
    ).toEqual(["organizationName: Enter your organization's name."]);
  });
});

describe('signInInput', () => {
  it('asks for the password', () => {
    expect(issuesFor(signInInput, { email: 'a@b.co', password: '' })).toEqual([
      'password: Enter your password.',
    ]);
  });
});
