import { signInInput } from '@app/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { submittedText, useFieldErrors } from '../lib/form.ts';
import { paths } from '../lib/router.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { Field } from '../ui/Field.tsx';
import { Link } from '../ui/Link.tsx';
import { PageHeading } from '../ui/PageHeading.tsx';

const fields = ['email', 'password'] as const;

export default function SignInPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useFieldErrors(fields);
  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() }),
      onError: (error) => form.showServerError(error),
    }),
  );
  const serverError = form.alertMessageOf(signIn.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    const value = submittedText(event);
    const input = form.validate(signInInput, { email: value('email'), password: value('password') });
    if (input) signIn.mutate(input);
  }

  return (
    <main className="auth-page">
      <p className="brand">WhatsApp channel</p>
      <div className="panel">
        <PageHeading>Sign in</PageHeading>
        <Alert tone="error" alertRef={form.alertRef}>
          {serverError}
        </Alert>
        <form noValidate onSubmit={onSubmit} className="form">
          <Field label="Email" {...form.field('email')} type="email" autoComplete="email" />
          <Field label="Password" {...form.field('password')} revealable autoComplete="current-password" />
          <button type="submit" className="button button--primary" disabled={signIn.isPending}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
      <p className="auth-page__switch">
        New here? <Link to={paths.signUp}>Create an organization</Link>
      </p>
    </main>
  );
}
