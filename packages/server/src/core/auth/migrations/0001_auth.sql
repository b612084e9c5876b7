-- Local accounts, roles, sessions, API tokens and TOTP MFA (core.auth).
-- Secrets never stored in the clear: passwords as scrypt PHC strings,
-- session cookies, API tokens and recovery codes as SHA-256, TOTP secrets
-- encrypted with AES-256-GCM under a key kept outside the database.

CREATE TABLE users (
  id uuid PRIMARY KEY,
  username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  display_name text CHECK (display_name IS NULL OR char_length(display_name) <= 128),
  password_hash text NOT NULL,
  must_change_password boolean NOT NULL DEFAULT true,
  mfa_secret_enc text,
  mfa_enabled boolean NOT NULL DEFAULT false,
  mfa_pending_secret_enc text,
  disabled boolean NOT NULL DEFAULT false,
  failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until timestamptz,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_mfa_needs_secret CHECK (NOT mfa_enabled OR mfa_secret_enc IS NOT NULL)
);

-- Built-in roles are (re)written from the contracts catalogue at every start.
CREATE TABLE roles (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9._-]{1,63}$'),
  description text NOT NULL DEFAULT '',
  permissions text[] NOT NULL DEFAULT '{}',
  built_in boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_roles (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_name text NOT NULL REFERENCES roles (name) ON DELETE RESTRICT,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role_name)
);
CREATE INDEX user_roles_role ON user_roles (role_name);

-- id is the SHA-256 (hex) of the cookie secret: a database reader cannot
-- replay a session.
CREATE TABLE sessions (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  mfa_passed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ip text,
  user_agent text,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user_live ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  permissions text[] NOT NULL,
  created_by uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);

CREATE TABLE mfa_recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- The last TOTP time-step accepted per user: a code from the same or an
-- earlier step is refused (RFC 6238 section 5.2).
CREATE TABLE totp_last_step (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  last_step bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
