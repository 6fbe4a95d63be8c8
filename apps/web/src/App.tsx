import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect } from 'react';
import { isUnauthorized, messageOf } from './lib/errors.ts';
import { navigate, parseInboxPath, paths, usePathname } from './lib/router.ts';
import { type Me, useTRPC } from './lib/trpc.ts';
import { Alert } from './ui/Alert.tsx';
import { Link } from './ui/Link.tsx';
import { LoadError } from './ui/LoadError.tsx';

// Each screen is its own chunk: signing in does not download the settings screen.
const SignInPage = lazy(() => import('./auth/SignInPage.tsx'));
const SignUpPage = lazy(() => import('./auth/SignUpPage.tsx'));
const WhatsappSettingsPage = lazy(() => import('./settings/WhatsappSettingsPage.tsx'));
// The inbox (threads, template picker) is its own chunk too: Settings stays within its budget.
const InboxPage = lazy(() => import('./inbox/InboxPage.tsx'));

export function App() {
  const trpc = useTRPC();
  const pathname = usePathname();
  const me = useQuery(trpc.auth.me.queryOptions());
  const user = me.data ?? null;
  useSignOutWhenSessionEnds();

  const inbox = parseInboxPath(pathname);
  // Signed-in people land on settings unless they asked for the inbox; signed-out people
  // on sign-in (sign-up stays reachable).
  useEffect(() => {
    if (me.isPending || me.isError) return;
    if (user && pathname !== paths.whatsappSettings && !parseInboxPath(pathname))
      navigate(paths.whatsappSettings, { replace: true });
    if (!user && pathname !== paths.signIn && pathname !== paths.signUp)
      navigate(paths.signIn, { replace: true });
  }, [me.isPending, me.isError, user, pathname]);

  if (me.isPending) return <PageLoading />;
  if (me.isError) {
    return (
      <main className="auth-page">
        <h1>We could not load the app</h1>
        <LoadError error={me.error} onRetry={() => void me.refetch()} />
      </main>
    );
  }

  return (
    <Suspense fallback={<PageLoading />}>
      {user ? (
        <SignedInLayout user={user} wide={inbox !== null}>
          {inbox ? (
            <InboxPage user={user} connectionId={inbox.connectionId} customer={inbox.customer} />
          ) : (
            <WhatsappSettingsPage user={user} />
          )}
        </SignedInLayout>
      ) : pathname === paths.signUp ? (
        <SignUpPage />
      ) : (
        <SignInPage />
      )}
    </Suspense>
  );
}

/**
 * A session can end while the screen is open (expired, or signed out elsewhere):
 * the first request refused with UNAUTHORIZED takes the person back to sign-in.
 */
function useSignOutWhenSessionEnds() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useEffect(() => {
    const signedOut = (error: unknown) => {
      if (isUnauthorized(error) && queryClient.getQueryData(trpc.auth.me.queryKey())) {
        forgetSession(queryClient, trpc);
      }
    };
    const unsubscribeQueries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') signedOut(event.action.error);
    });
    const unsubscribeMutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error') signedOut(event.action.error);
    });
    return () => {
      unsubscribeQueries();
      unsubscribeMutations();
    };
  }, [trpc, queryClient]);
}

/** Drops everything fetched as the person, and says nobody is signed in (App shows sign-in). */
function forgetSession(queryClient: QueryClient, trpc: ReturnType<typeof useTRPC>) {
  queryClient.clear();
  queryClient.setQueryData(trpc.auth.me.queryKey(), null);
}

function PageLoading() {
  return (
    <main className="page-loading">
      <p role="status">Loading…</p>
    </main>
  );
}

function SignedInLayout({
  user,
  wide,
  children,
}: {
  user: Me;
  /** The inbox uses the width for its list beside the thread. */
  wide: boolean;
  children: React.ReactNode;
}) {
  const pathname = usePathname();
  const onInbox = parseInboxPath(pathname) !== null;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSuccess: () => {
        forgetSession(queryClient, trpc);
        navigate(paths.signIn);
      },
    }),
  );
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className={wide ? 'app-header__inner app-header__inner--wide' : 'app-header__inner'}>
          <p className="app-header__org">{user.organizationName}</p>
          <nav aria-label="Sections" className="app-header__sections">
            <Link to={paths.inbox} aria-current={onInbox ? 'page' : undefined}>
              Inbox
            </Link>
            <Link to={paths.whatsappSettings} aria-current={onInbox ? undefined : 'page'}>
              Settings
            </Link>
          </nav>
          <nav aria-label="Account" className="app-header__account">
            <span className="app-header__email">
              {user.email} <span className="badge">{user.role}</span>
            </span>
            <button
              type="button"
              className="button button--quiet"
              onClick={() => signOut.mutate()}
              disabled={signOut.isPending}
            >
              {signOut.isPending ? 'Signing out…' : 'Sign out'}
            </button>
          </nav>
        </div>
        {signOut.isError && <Alert tone="error">{messageOf(signOut.error)}</Alert>}
      </header>
      <main id="main" className={wide ? 'settings-page settings-page--wide' : 'settings-page'}>
        {children}
      </main>
    </>
  );
}
