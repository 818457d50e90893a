import acme from 'acme-client';
import type { AcmeCertSettings, AcmeSettings } from '../config/acme-settings.js';
import type { Logger } from '../logging/logger.js';
import type { Agent } from 'node:https';
import { fetchDirectory, setAcmeAgent } from './acme-http.js';
import type { ChallengeResponders } from './challenge-responders.js';
import { AcmeOrderError } from './errors.js';

/**
 * One certificate order with acme-client: a new key and CSR, the account (registered on first
 * use), the challenges answered by kumo-ts itself, and the issued chain. Returns key and chain.
 */
export async function orderCertificate(
  settings: AcmeSettings,
  cert: AcmeCertSettings,
  accountKeyPem: Buffer,
  responders: ChallengeResponders,
  log: Logger,
): Promise<{ keyPem: string; chainPem: string }> {
  // our own look at the directory first: an unreachable server fails here, with its cause
  await fetchDirectory(settings.directory);
  const client = new acme.Client({ directoryUrl: settings.directory, accountKey: accountKeyPem, backoffMin: 1000, backoffMax: 10_000, backoffAttempts: 12 });
  if (settings.contact.length) await client.createAccount({ termsOfServiceAgreed: settings.termsOfServiceAgreed, contact: [...settings.contact] });
  else {
    // without a contact, acme-client would "update" an existing account with a body that has
    // nothing to change, which a strict CA (pebble) refuses: look the account up first (an
    // empty update is sent as POST-as-GET), register it only when there is none
    try {
      await client.createAccount({ onlyReturnExisting: true });
    } catch {
      await client.createAccount({ termsOfServiceAgreed: settings.termsOfServiceAgreed });
    }
  }
  const key = cert.keyType === 'rsa' ? await acme.crypto.createPrivateRsaKey(2048) : await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: cert.names[0], altNames: [...cert.names] }, key);
  const cleanups = new Map<string, () => Promise<void>>();
  const chain = await client.auto({
    csr,
    termsOfServiceAgreed: settings.termsOfServiceAgreed,
    challengePriority: [cert.challenge],
    // the client's own pre-check would resolve the names through public DNS; the CA checks anyway
    skipChallengeVerification: true,
    challengeCreateFn: async (authz, ch, keyAuthorization) => {
      // acme-client's types know http-01 and dns-01 only; tls-alpn-01 has the same shape
      const challenge = ch as { type: string; token: string };
      const host = authz.identifier.value;
      const id = `${challenge.type}:${host}:${'token' in challenge ? challenge.token : ''}`;
      if (challenge.type === 'http-01') {
        await responders.addHttpToken(challenge.token, keyAuthorization);
        cleanups.set(id, () => responders.removeHttpToken(challenge.token));
      } else if (challenge.type === 'tls-alpn-01') {
        const [alpnKey, alpnCert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
        responders.addAlpnCertificate(host, alpnCert.toString(), alpnKey.toString());
        cleanups.set(id, async () => responders.removeAlpnCertificate(host));
      } else if (challenge.type === 'dns-01') {
        const call = { domain: host, name: `_acme-challenge.${host.replace(/^\*\./, '')}`, value: keyAuthorization };
        await responders.dns01.run(settings.dns01Hook!, { ...call, action: 'present' });
        cleanups.set(id, () => responders.dns01.run(settings.dns01Hook!, { ...call, action: 'cleanup' }));
      } else throw new AcmeOrderError(`unsupported challenge ${challenge.type}`);
      log.info('acme: challenge ready', { cert: cert.name, type: challenge.type, name: host });
    },
    challengeRemoveFn: async (authz, ch) => {
      const challenge = ch as { type: string; token: string };
      const id = `${challenge.type}:${authz.identifier.value}:${'token' in challenge ? challenge.token : ''}`;
      await cleanups.get(id)?.();
      cleanups.delete(id);
    },
  });
  return { keyPem: key.toString(), chainPem: chain.toString() };
}

/** acme-client 5.4 turns a request without an answer into this TypeError (its retry interceptor reads error.response.config). */
export function explainOrderError(e: unknown, directory: string): Error {
  if (e instanceof TypeError && /reading 'config'/.test(e.message))
    return new AcmeOrderError(`no answer from the ACME server ${new URL(directory).host} during the order (connection refused, reset or timed out)`);
  return e as Error;
}

/**
 * The HTTPS agent for everything said to the ACME server (one per process: there is one [acme]
 * table), for acme-client and for our own requests (directory probe, ARI).
 */
export function useHttpsAgent(a: Agent | undefined): void {
  setAcmeAgent(a);
  acme.axios.defaults.httpsAgent = a;
  // acme-client retries a request that got no answer 5 times with 5..25 s pauses (75 s in all)
  // and then fails with a TypeError; our own retry with backoff covers outages, so fail fast
  const settings = (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number } }).acmeSettings;
  settings.retryMaxAttempts = 2;
  settings.retryDefaultDelay = 1;
  acme.axios.defaults.timeout = 30_000;
}
