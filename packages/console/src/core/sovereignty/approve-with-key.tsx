/**
 * "Approve with a key": the official picks their private key file (or pastes
 * it), the browser derives and shows the public key, signs the hash it
 * recomputed itself, and sends only {publicKey, signature}. The key is read
 * with File.text() (no upload), kept in memory until the signature is made,
 * then wiped.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ApprovalBody } from '@kotwal/contracts';
import { isApiError } from '../../api/client.ts';
import { Alert, Badge } from '../../ui/feedback.tsx';
import { forgetKey, loadPrivateKey, signWith, type LoadedKey } from './signing.ts';

type Outcome =
  { kind: 'ok'; publicKey: string; keyId: string } | { kind: 'refused'; title: string; detail: string | undefined; status: number; publicKey: string };

export function ApproveWithKey({
  subject,
  hash,
  hashMatches,
  designatedKeys,
  submit,
  onApproved,
}: {
  /** "transfer" or "grant": used in the text. */
  subject: string;
  /** The hash recomputed in this browser (the one that is signed). */
  hash: string;
  hashMatches: boolean;
  designatedKeys: readonly string[];
  submit: (body: ApprovalBody) => Promise<unknown>;
  onApproved: () => void;
}) {
  const fileId = useId();
  const pasteId = useId();
  const fileRef = useRef<HTMLInputElement>(null);
  const [key, setKey] = useState<LoadedKey | null>(null);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [pasted, setPasted] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  // Wipe the secret if the panel goes away with a key loaded.
  const keyRef = useRef<LoadedKey | null>(null);
  keyRef.current = key;
  useEffect(() => () => forgetKey(keyRef.current), []);

  const adopt = (text: string) => {
    forgetKey(key);
    setOutcome(null);
    if (!text.trim()) {
      setKey(null);
      setKeyError(null);
      return;
    }
    try {
      setKey(loadPrivateKey(text));
      setKeyError(null);
    } catch (err) {
      setKey(null);
      setKeyError(err instanceof Error ? err.message : String(err));
    }
  };

  const clear = () => {
    forgetKey(key);
    setKey(null);
    setPasted('');
    if (fileRef.current) fileRef.current.value = '';
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!key || !hashMatches || busy) return;
    setBusy(true);
    setOutcome(null);
    const { publicKey, keyId } = key;
    let signature: string;
    try {
      signature = signWith(key, hash);
    } finally {
      clear();
    }
    try {
      await submit({ publicKey, signature });
      setOutcome({ kind: 'ok', publicKey, keyId });
      onApproved();
    } catch (err) {
      if (isApiError(err)) setOutcome({ kind: 'refused', title: err.title, detail: err.detail, status: err.status, publicKey });
      else setOutcome({ kind: 'refused', title: 'Not sent', detail: err instanceof Error ? err.message : String(err), status: 0, publicKey });
    } finally {
      setBusy(false);
    }
  };

  const designated = key ? designatedKeys.includes(key.publicKey) : false;

  return (
    <form className="form-stack sov-signer" onSubmit={(e) => void onSubmit(e)} data-testid="approve-with-key" noValidate>
      <p className="muted small">
        Your private key stays in this browser: it is read from the file here, used once to sign the hash below, and wiped. Only the public key and the
        signature are sent.
      </p>
      {!hashMatches ? (
        <Alert tone="danger" title="Signing disabled">
          The manifest&rsquo;s hash recomputed in this browser differs from the server&rsquo;s: do not approve this {subject}.
        </Alert>
      ) : null}
      <div className="form-row">
        <div className="field">
          <label htmlFor={fileId}>Private key file</label>
          <input
            id={fileId}
            ref={fileRef}
            type="file"
            data-testid="approve-key-file"
            disabled={busy}
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (!f) return;
              setPasted('');
              if (f.size > 16_384) {
                setKey(null);
                setKeyError('this file is too large to be an Ed25519 private key');
                return;
              }
              void f.text().then(adopt, (err: unknown) => setKeyError(`could not read the file: ${String(err)}`));
            }}
          />
          <div className="field-hint">
            The PEM file <code>npx kotwal keys generate</code> wrote (not the <code>.pub</code>)
          </div>
        </div>
        <div className="field">
          <label htmlFor={pasteId}>or paste it</label>
          <textarea
            id={pasteId}
            rows={3}
            className="mono small"
            value={pasted}
            autoComplete="off"
            spellCheck={false}
            placeholder="-----BEGIN PRIVATE KEY-----"
            data-testid="approve-key-paste"
            disabled={busy}
            onChange={(e) => {
              setPasted(e.target.value);
              if (fileRef.current) fileRef.current.value = '';
              adopt(e.target.value);
            }}
          />
        </div>
      </div>
      {keyError ? (
        <Alert tone="danger" testId="approve-key-error">
          Not a usable key: {keyError}
        </Alert>
      ) : null}
      {key ? (
        <dl className="kv kv-compact" data-testid="approve-key-derived">
          <dt>Public key (derived here)</dt>
          <dd className="mono break-all" data-testid="approve-public-key">
            {key.publicKey}
          </dd>
          <dt>Key id</dt>
          <dd className="mono">{key.keyId}</dd>
          <dt>Designated</dt>
          <dd>
            {designated ? (
              <Badge tone="success">named in the signed approver set</Badge>
            ) : (
              <Badge tone="warning" title="The server will refuse it, and say why">
                not in the approver set this {subject} names
              </Badge>
            )}
          </dd>
          <dt>Signs</dt>
          <dd className="mono break-all">{hash}</dd>
        </dl>
      ) : null}
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={!key || !hashMatches || busy} data-testid="approve-submit">
          {busy ? 'Signing\u2026' : 'Sign and approve'}
        </button>
        {key ? (
          <button type="button" className="btn btn-secondary" onClick={clear} disabled={busy}>
            Forget the key
          </button>
        ) : null}
      </div>
      {outcome?.kind === 'ok' ? (
        <Alert tone="success" testId="approve-result">
          Approval by key {outcome.keyId} recorded. The key has been wiped from this page.
        </Alert>
      ) : null}
      {outcome?.kind === 'refused' ? (
        <Alert tone="danger" title={`Refused: ${outcome.title}`} testId="approve-refusal">
          <span data-testid="approve-refusal-detail">{outcome.detail ?? 'the server gave no detail'}</span>
          {outcome.status ? <span className="muted small"> (HTTP {outcome.status})</span> : null}
        </Alert>
      ) : null}
    </form>
  );
}
