-- Prerequisites the Twilio WhatsApp migration assumes (seed plan, "Dependencies").
-- On Supabase these exist already; every object here is created only if missing,
-- so the same migration set runs on a bare PostgreSQL 14+ and on Supabase.

-- Roles. NOLOGIN: the server connects as the database owner and switches role per
-- transaction (SET LOCAL ROLE), it never logs in as these.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END
$$;

-- The connecting role must be able to SET ROLE to each of them.
DO $$
BEGIN
  EXECUTE format('GRANT anon, authenticated, service_role TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN
  NULL; -- already a member (or a superuser, which needs no membership)
END
$$;

CREATE EXTENSION IF NOT EXISTS pgcrypto; -- gen_random_uuid() on PostgreSQL < 13; digest()

-- Supabase-compatible auth schema: auth.users and auth.uid().
CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;

CREATE TABLE IF NOT EXISTS auth.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  encrypted_password text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON auth.users (lower(email));
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON auth.users FROM anon, authenticated;
GRANT ALL ON auth.users TO service_role;

-- Same body as Supabase's: the caller's id from the JWT claims set per transaction.
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$
    SELECT coalesce(
      nullif(current_setting('request.jwt.claim.sub', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
  $$;
GRANT EXECUTE ON FUNCTION auth.uid() TO anon, authenticated, service_role;

-- Private schema for policy helpers and server-only tables. No API layer exposes it;
-- only the functions below are callable by authenticated.
CREATE SCHEMA IF NOT EXISTS app_private;
REVOKE ALL ON SCHEMA app_private FROM PUBLIC;
GRANT USAGE ON SCHEMA app_private TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.update_updated_at_column() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    NEW.updated_at = now();
    RETURN NEW;
  END;
  $$;

CREATE TABLE IF NOT EXISTS public.organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.profiles (
  id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  display_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Policies filter on (id, organization_id, role): index what they read.
CREATE INDEX IF NOT EXISTS idx_profiles_org ON public.profiles (organization_id);

DROP TRIGGER IF EXISTS update_organizations_updated_at ON public.organizations;
CREATE TRIGGER update_organizations_updated_at BEFORE UPDATE ON public.organizations
  FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
DROP TRIGGER IF EXISTS update_profiles_updated_at ON public.profiles;
CREATE TRIGGER update_profiles_updated_at BEFORE UPDATE ON public.profiles
  FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- Policy helpers. SECURITY DEFINER so a policy on profiles does not recurse into
-- profiles' own policy; search_path '' so nothing can be shadowed.
CREATE OR REPLACE FUNCTION app_private.user_organization_ids() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$ SELECT p.organization_id FROM public.profiles p WHERE p.id = (SELECT auth.uid()) $$;

CREATE OR REPLACE FUNCTION app_private.user_admin_organization_ids() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$
    SELECT p.organization_id FROM public.profiles p
    WHERE p.id = (SELECT auth.uid()) AND p.role IN ('owner', 'admin')
  $$;

REVOKE ALL ON FUNCTION app_private.user_organization_ids() FROM PUBLIC;
REVOKE ALL ON FUNCTION app_private.user_admin_organization_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_private.user_organization_ids() TO authenticated, service_role;
GRANT EXECUTE ON FUNCTION app_private.user_admin_organization_ids() TO authenticated, service_role;

ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "Members can view their organization" ON public.organizations;
CREATE POLICY "Members can view their organization" ON public.organizations
  FOR SELECT TO authenticated
  USING (id IN (SELECT app_private.user_organization_ids()));

DROP POLICY IF EXISTS "Members can view profiles of their organization" ON public.profiles;
CREATE POLICY "Members can view profiles of their organization" ON public.profiles
  FOR SELECT TO authenticated
  USING (organization_id IN (SELECT app_private.user_organization_ids()));

-- Organizations and profiles are written by the server's sign-up (service role) only.
REVOKE ALL ON public.organizations, public.profiles FROM anon, authenticated;
GRANT SELECT ON public.organizations, public.profiles TO authenticated;
GRANT ALL ON public.organizations, public.profiles TO service_role;

-- Server-side sessions: only a SHA-256 of the cookie token is stored.
CREATE TABLE IF NOT EXISTS app_private.sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash bytea NOT NULL UNIQUE,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_sessions_user ON app_private.sessions (user_id);
CREATE INDEX IF NOT EXISTS idx_sessions_expires ON app_private.sessions (expires_at);
ALTER TABLE app_private.sessions ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON app_private.sessions FROM PUBLIC, anon, authenticated;
GRANT ALL ON app_private.sessions TO service_role;

GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
