-- Break-glass grants (core/sovereignty/grants): time-boxed support access
-- that exists only once M of the designated officials (sov_approvers,
-- scope 'break-glass') have signed the grant's manifest (sov_approvals,
-- subject_kind 'grant'). The policy is sov_policies, scope 'break-glass'
-- (threshold, max_minutes).

CREATE TABLE sov_grants (
  id uuid PRIMARY KEY,
  -- the exact signed object (canonical JSON) and its hash
  manifest text NOT NULL,
  manifest_hash text NOT NULL UNIQUE,
  status text NOT NULL CHECK (status IN ('pending-approval', 'active', 'expired', 'revoked')),
  grantee_id uuid NOT NULL REFERENCES users (id),
  grantee_username text NOT NULL,
  role text NOT NULL,
  -- the role's permissions when the grant was requested: a grant never
  -- holds more than this, even if the role is widened afterwards
  permissions text[] NOT NULL,
  reason text NOT NULL,
  ticket text,
  duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
  requested_at timestamptz NOT NULL,
  requested_by uuid NOT NULL,
  requested_by_name text NOT NULL,
  -- a grant not approved by then expires unused
  approval_deadline timestamptz NOT NULL,
  activated_at timestamptz,
  expires_at timestamptz,
  ended_at timestamptz,
  end_reason text CHECK (end_reason IN ('expired', 'not-approved', 'revoked')),
  revoked_by text,
  revoke_reason text,
  -- requests made under the grant (each one ledgered as grant.action)
  actions bigint NOT NULL DEFAULT 0,
  last_action_at timestamptz,
  CHECK ((status = 'active') = (activated_at IS NOT NULL AND ended_at IS NULL))
);
-- One live grant (pending or active) per support account at a time.
CREATE UNIQUE INDEX sov_grants_live_grantee_idx ON sov_grants (grantee_id) WHERE status IN ('pending-approval', 'active');
CREATE INDEX sov_grants_requested_idx ON sov_grants (requested_at DESC);
CREATE INDEX sov_grants_active_idx ON sov_grants (expires_at) WHERE status = 'active';
