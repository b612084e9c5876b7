import { useState } from 'react';
import { PERMISSIONS, isPermission } from '@kotwal/contracts';
import { useSession } from '../auth/session.tsx';
import { PasswordChangeForm } from '../auth/password-change-form.tsx';
import { PageHeader, Section } from '../../ui/page.tsx';
import { Alert, Badge } from '../../ui/feedback.tsx';

export default function AccountPage() {
  const { me, refresh } = useSession();
  const [changed, setChanged] = useState(false);
  const [formKey, setFormKey] = useState(0);
  return (
    <>
      <PageHeader title="My account" description="Your profile, what your roles allow, and your password." />
      <div className="grid-2">
        <Section title="Profile" testId="account-profile">
          <dl className="kv">
            <dt>Username</dt>
            <dd className="mono">{me.username}</dd>
            <dt>Display name</dt>
            <dd>{me.displayName ?? <span className="muted">not set</span>}</dd>
            <dt>Roles</dt>
            <dd>
              <div className="chips">
                {me.roles.map((r) => (
                  <span className="chip" key={r}>
                    {r}
                  </span>
                ))}
              </div>
            </dd>
            <dt>Two-factor</dt>
            <dd>
              {me.mfaEnabled ? <Badge tone="success">Enrolled</Badge> : me.mfaRequired ? <Badge tone="warning">Required</Badge> : <Badge>Not enrolled</Badge>}
            </dd>
          </dl>
          <h3 className="subheading">Permissions</h3>
          <ul className="perm-list">
            {me.permissions.map((p) => (
              <li key={p}>
                <code>{p}</code>
                <span className="muted small">{isPermission(p) ? PERMISSIONS[p].description : ''}</span>
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Change password">
          {changed ? <Alert tone="success">Your password was changed. Your other sessions have ended.</Alert> : null}
          <PasswordChangeForm
            key={formKey}
            username={me.username}
            onChanged={async () => {
              await refresh();
              setChanged(true);
              setFormKey((k) => k + 1);
            }}
          />
        </Section>
      </div>
    </>
  );
}
