/** Every Secrets API operation through the official @azure/keyvault-secrets client over HTTPS, in both addressing modes. */
import type { SecretClient } from '@azure/keyvault-secrets'
import forge from 'node-forge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretsOf, type EmulatorHandle } from '../../src/emulator/index.js'
import { FAST_POLL, secretClient, startTestEmulator } from '../support/emulator.js'

let em: EmulatorHandle
beforeAll(async () => {
  em = await startTestEmulator()
})
afterAll(async () => {
  await em?.stop()
})

/** The SDK's RestError, checked by shape (core-rest-pipeline is not a direct dependency). */
interface ServiceError extends Error {
  statusCode?: number
  code?: string
  details?: unknown
}

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(Error)
  expect((err as Error).name).toBe('RestError')
  return err as ServiceError
}

const VERSION_RE = /^[0-9a-f]{32}$/

describe.each(['host', 'localhost'] as const)('secrets through the SDK (%s addressing)', (mode) => {
  let client: SecretClient
  let vaultUrl: string
  beforeAll(() => {
    client = secretClient(em, 'kv-primary', mode)
    vaultUrl = mode === 'host' ? em.vault('kv-primary').hostUrl : em.vault('kv-primary').url
  })
  const n = (s: string): string => `${s}-${mode}`

  it('sets and gets a secret with content type, tags and attributes; ids use the address the client used', async () => {
    const exp = new Date(Math.floor(Date.now() / 1000 + 86_400) * 1000)
    const set = await client.setSecret(n('db-password'), 's3cr3t', { contentType: 'text/plain', tags: { env: 'prod' }, expiresOn: exp })
    expect(set.value).toBe('s3cr3t')
    expect(set.properties.version).toMatch(VERSION_RE)
    expect(set.properties.id).toBe(`${vaultUrl}/secrets/${n('db-password')}/${set.properties.version}`)
    expect(set.properties.vaultUrl).toBe(vaultUrl)
    expect(set.properties.expiresOn?.getTime()).toBe(exp.getTime())
    expect(set.properties.recoveryLevel).toBe('Recoverable+Purgeable')
    expect(set.properties.recoverableDays).toBe(90)
    expect(set.properties.createdOn?.getTime() ?? 1 % 1000).toBe(Math.floor((set.properties.createdOn?.getTime() ?? 0) / 1000) * 1000)

    const got = await client.getSecret(n('db-password'))
    expect(got.value).toBe('s3cr3t')
    expect(got.properties.version).toBe(set.properties.version)
    expect(got.properties.contentType).toBe('text/plain')
    expect(got.properties.tags).toEqual({ env: 'prod' })
    expect(got.properties.enabled).toBe(true)
  })

  it('keeps every version, returns the latest by default and any version by id', async () => {
    const v1 = await client.setSecret(n('rotating'), 'one')
    const v2 = await client.setSecret(n('rotating'), 'two')
    const v3 = await client.setSecret(n('rotating'), 'three')
    expect((await client.getSecret(n('rotating'))).value).toBe('three')
    expect((await client.getSecret(n('rotating'), { version: v1.properties.version as string })).value).toBe('one')
    const versions: string[] = []
    for await (const p of client.listPropertiesOfSecretVersions(n('rotating'))) versions.push(p.version as string)
    expect(versions.sort()).toEqual([v1, v2, v3].map((v) => v.properties.version as string).sort())
  })

  it('updates properties of the latest or a given version, and refuses values of disabled versions with 403 SecretDisabled', async () => {
    const v1 = await client.setSecret(n('toggled'), 'first', { tags: { a: '1' } })
    await client.setSecret(n('toggled'), 'second')
    const updated = await client.updateSecretProperties(n('toggled'), v1.properties.version as string, { enabled: false, tags: { b: '2' } })
    expect(updated.enabled).toBe(false)
    expect(updated.tags).toEqual({ b: '2' })
    const err = await rejection(client.getSecret(n('toggled'), { version: v1.properties.version as string }))
    expect(err.statusCode).toBe(403)
    expect(err.code).toBe('Forbidden')
    expect(err.message).toBe('Operation get is not allowed on a disabled secret.')
    expect((await client.getSecret(n('toggled'))).value).toBe('second')
    const latest = await client.updateSecretProperties(n('toggled'), '', { contentType: 'application/json' })
    expect(latest.contentType).toBe('application/json')
    expect(latest.version).not.toBe(v1.properties.version)
  })

  it('lists secrets with metadata only, never values', async () => {
    await client.setSecret(n('listed'), 'hidden-value', { tags: { team: 'x' } })
    const items = []
    for await (const p of client.listPropertiesOfSecrets()) items.push(p)
    const mine = items.find((p) => p.name === n('listed'))
    expect(mine?.tags).toEqual({ team: 'x' })
    expect(mine?.version).toBeUndefined()
    expect(JSON.stringify(items)).not.toContain('hidden-value')
  })

  it('soft-deletes, lists and gets deleted secrets, and recovers every version', async () => {
    await client.setSecret(n('doomed'), 'v1')
    const last = await client.setSecret(n('doomed'), 'v2')
    const deleted = await (await client.beginDeleteSecret(n('doomed'), FAST_POLL)).pollUntilDone()
    expect(deleted.recoveryId).toBe(`${vaultUrl}/deletedsecrets/${n('doomed')}`)
    expect(deleted.properties.version).toBe(last.properties.version)
    const days = ((deleted.scheduledPurgeDate?.getTime() ?? 0) - (deleted.deletedOn?.getTime() ?? 0)) / 86_400_000
    expect(days).toBe(90)
    expect((await rejection(client.getSecret(n('doomed')))).code).toBe('SecretNotFound')
    expect((await client.getDeletedSecret(n('doomed'))).name).toBe(n('doomed'))
    const deletedNames: string[] = []
    for await (const d of client.listDeletedSecrets()) deletedNames.push(d.name)
    expect(deletedNames).toContain(n('doomed'))

    const recovered = await (await client.beginRecoverDeletedSecret(n('doomed'), FAST_POLL)).pollUntilDone()
    expect(recovered.version).toBe(last.properties.version)
    let count = 0
    for await (const _ of client.listPropertiesOfSecretVersions(n('doomed'))) count++
    expect(count).toBe(2)
    expect((await client.getSecret(n('doomed'))).value).toBe('v2')
  })

  it('backs up, purges and restores a secret with its original version ids', async () => {
    const v1 = await client.setSecret(n('kept'), 'first-plaintext-marker', { tags: { k: 'v' } })
    const v2 = await client.setSecret(n('kept'), 'b')
    const blob = await client.backupSecret(n('kept'))
    expect(blob).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(blob as Uint8Array).toString('latin1')).not.toContain('plaintext-marker')
    await (await client.beginDeleteSecret(n('kept'), FAST_POLL)).pollUntilDone()
    await client.purgeDeletedSecret(n('kept'))
    // Like real clients, retry while the purge is still running (409).
    let restored
    for (let attempt = 0; restored === undefined; attempt++) {
      try {
        restored = await client.restoreSecretBackup(blob as Uint8Array)
      } catch (e) {
        if ((e as ServiceError).statusCode !== 409 || attempt > 100) throw e
        await new Promise((r) => setTimeout(r, 10))
      }
    }
    expect(restored.version).toBe(v2.properties.version)
    expect((await client.getSecret(n('kept'), { version: v1.properties.version as string })).properties.tags).toEqual({ k: 'v' })
    expect((await client.getSecret(n('kept'))).value).toBe('b')
  })

  it('answers 404 SecretNotFound for unknown names and 405 for an empty name', async () => {
    const missing = await rejection(client.getSecret(n('never-was')))
    expect(missing.statusCode).toBe(404)
    expect(missing.code).toBe('SecretNotFound')
    const empty = await rejection(client.setSecret('', 'x'))
    expect(empty.statusCode).toBe(405)
    expect(empty.code).toBe('MethodNotAllowed')
  })
})

describe('secret details', () => {
  let client: SecretClient
  beforeAll(() => {
    client = secretClient(em, 'kv-primary')
  })

  it('treats names case-insensitively and keeps the original casing', async () => {
    await client.setSecret('MixedCase', 'v')
    const got = await client.getSecret('mixedcase')
    expect(got.name).toBe('MixedCase')
    expect(got.value).toBe('v')
  })

  it('reports previousVersion to 2025-07-01 clients once a secret has one, and never to 7.x clients', async () => {
    const first = await client.setSecret('with-history', 'a')
    expect(first.properties.previousVersion).toBeUndefined()
    const second = await client.setSecret('with-history', 'b')
    expect(second.properties.previousVersion).toBe(first.properties.version)
    expect((await client.getSecret('with-history')).properties.previousVersion).toBe(first.properties.version)
    const older = secretClient(em, 'kv-primary', 'host', '7.6')
    expect((await older.getSecret('with-history')).properties.previousVersion).toBeUndefined()
  })

  it('refuses outContentType on a secret that is not behind a certificate, as the service does', async () => {
    await client.setSecret('plain-pfx-typed', 'not-a-pfx', { contentType: 'application/x-pkcs12' })
    const err = await rejection(client.getSecret('plain-pfx-typed', { outContentType: 'application/x-pem-file' }))
    expect(err.statusCode).toBe(400)
    expect(err.code).toBe('BadParameter')
    expect(err.message).toBe("The 'Unsupported' to 'PEM' transformation is not supported. Only PFX to PEM transformation is supported.")
  })

  it('converts the PFX behind a certificate to PEM with outContentType, and refuses direct changes to it with 403', async () => {
    const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 })
    const cert = forge.pki.createCertificate()
    cert.publicKey = keys.publicKey
    cert.serialNumber = '01'
    cert.validity.notBefore = new Date()
    cert.validity.notAfter = new Date(Date.now() + 86_400_000)
    cert.setSubject([{ name: 'commonName', value: 'managed-test' }])
    cert.setIssuer([{ name: 'commonName', value: 'managed-test' }])
    cert.sign(keys.privateKey, forge.md.sha256.create())
    const pfx = forge.util.encode64(forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert], '', { algorithm: '3des' })).getBytes())
    const { version } = secretsOf(em.model('kv-primary')).create('tls-cert', {
      managed: true,
      payload: { value: pfx, contentType: 'application/x-pkcs12', keyPath: 'keys/tls-cert/0123456789abcdef0123456789abcdef' },
    })

    const asPfx = await client.getSecret('tls-cert')
    expect(asPfx.value).toBe(pfx)
    expect(asPfx.properties.managed).toBe(true)
    expect(asPfx.properties.certificateKeyId).toBe(`${em.vault('kv-primary').hostUrl}/keys/tls-cert/0123456789abcdef0123456789abcdef`)
    const asPem = await client.getSecret('tls-cert', { outContentType: 'application/x-pem-file' })
    expect(asPem.properties.version).toBe(version.version)
    expect(asPem.properties.contentType).toBe('application/x-pem-file')
    expect(asPem.value).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/)
    const pemCert = forge.pki.certificateFromPem((asPem.value as string).slice((asPem.value as string).indexOf('-----BEGIN CERTIFICATE')))
    expect(pemCert.subject.getField('CN').value).toBe('managed-test')

    const listed = []
    for await (const p of client.listPropertiesOfSecrets()) if (p.name === 'tls-cert') listed.push(p)
    expect(listed[0]?.managed).toBe(true)

    const backup = await rejection(client.backupSecret('tls-cert'))
    expect(backup.statusCode).toBe(403)
    expect(backup.message).toBe(
      'Operation "backup" is not allowed on this Secret, since it is associated with a certificate. Perform the operation on the corresponding certificate.',
    )
    const del = await rejection(client.beginDeleteSecret('tls-cert'))
    expect(del.statusCode).toBe(403)
    expect(JSON.stringify(del.details)).toContain('"innerError":{"code":"SecretManagedByKeyVault"}')
    expect((await rejection(client.setSecret('tls-cert', 'overwrite'))).statusCode).toBe(403)
  })

  it('rejects invalid input with 400 BadParameter and a clear message', async () => {
    const badName = await rejection(client.setSecret('under_score', 'v'))
    expect(badName.statusCode).toBe(400)
    expect(badName.message).toContain('invalid name: under_score')
    const tooBig = await rejection(client.setSecret('too-big', 'x'.repeat(25 * 1024 + 1)))
    expect(tooBig.statusCode).toBe(400)
    expect(tooBig.message).toContain('at most 25600 bytes')
    expect(JSON.stringify(tooBig.details)).not.toContain('xxxx')
  })
})
