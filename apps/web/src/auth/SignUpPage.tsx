import { signUpInput } from '@app/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { submittedText, useFieldErrors } from '../lib/form.ts';
import { paths } from '../lib/router.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { Field } from '../ui/Field.tsx';
import { Link } from '../ui/Link.tsx';
import { PageHeading } from '../ui/PageHeading.tsx';

const fields = ['organizationName', 'displayName', 'email', 'password'] as const;

export default function SignUpPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useFieldErrors(fields);
  const signUp = useMutation(
    trpc.auth.signUp.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() }),
      onError: (error) => form.showServerError(error),
    }),
  );
  const serverError = form.alertMessageOf(signUp.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    const value = submittedText(event);
    const displayName = value('displayName').trim();
    const input = form.validate(signUpInput, {
      organizationName: value('organizationName'),
      displayName: displayName === '' ? undefined : displayName,
      email: value('email'),
      password: value('password'),
    });
    if (input) signUp.mutate(input);
  }

  return (
    <main className="auth-page">
      <p className="brand">WhatsApp channel</p>
      <div className="panel">
        <PageHeading>Create your organization</PageHeading>
        <p className="muted">You will be its owner, and can connect WhatsApp right after.</p>
        <Alert tone="error" alertRef={form.alertRef}>
          {serverError}
        </Alert>
        <form noValidate onSubmit={onSubmit} className="form">
          <Field label="Organization name" {...form.field('organizationName')} autoComplete="organization" />
          <Field label="Your name (optional)" {...form.field('displayName')} autoComplete="name" />
          <Field label="Email" {...form.field('email')} type="email" autoComplete="email" />
          <Field
            label="Password"
            {...form.field('password')}
            revealable
            autoComplete="new-password"
            hint="At least 12 characters."
          />
          <button type="submit" className="button button--primary" disabled={signUp.isPending}>
            {signUp.isPending ? 'Creating…' : 'Create organization'}
          </button>
        </form>
      </div>
      <p className="auth-page__switch">
        Already have an account? <Link to={paths.signIn}>Sign in</Link>
      </p>
    </main>
  );
}
