/**
 * Lifetime actions that act: a key whose rotation policy's Rotate action is due gets a new version (same type, size
 * or curve, key_ops, tags and exportability; `exp` from the policy's expiryTime), dated the moment it was due; a
 * Notify action that comes due is recorded on the key (the emulator sends no notifications).
 *
 * Evaluation is lazy: the Keys API applies every due action of a vault before it answers any of its requests
 * (applyDueLifetimeActions). Each missed rotation point produces its own version, so advancing the clock by several
 * periods costs one key generation per period. Runs of one vault are serialized.
 */
import type { Clock } from '../../core/clock.js'
import { MAX_BACKUP_VERSIONS } from '../model/messages.js'
import type { Vault } from '../model/vault.js'
import { latest, type NewVersionInput, type ObjectRecord, type VersionedCollection, type VersionRecord } from '../model/versioned.js'
import { rotateKeyMaterial } from './crypto.js'
import { addDuration, parseDuration } from './duration.js'
import { keysOf, type KeyPayload } from './model.js'
import { DEFAULT_NOTIFY, type LifetimeActionType, type StoredRotationPolicy } from './rotation-policy.js'

/** Something a lifetime action did: the version it made (Rotate) or the version it was about (Notify). */
export interface LifetimeEvent {
  action: LifetimeActionType
  version: string
  /** When the action was due (epoch ms, emulator time). */
  dueAt: number
}

/** How many events a key keeps (the oldest are dropped). */
const MAX_EVENTS = 500

/** The rotation policy stored on a key, if one was set. */
export function storedPolicy(record: ObjectRecord<KeyPayload>): StoredRotationPolicy | undefined {
  return record.objectData?.rotationPolicy as StoredRotationPolicy | undefined
}

/** Store a key's rotation policy (kept by recover, not carried by backups, gone with purge). */
export function setStoredPolicy(record: ObjectRecord<KeyPayload>, policy: StoredRotationPolicy): void {
  record.objectData = { ...record.objectData, rotationPolicy: policy }
}

function eventsOf(record: ObjectRecord<KeyPayload>): LifetimeEvent[] {
  const events = (record.objectData?.lifetimeEvents as LifetimeEvent[] | undefined) ?? []
  record.objectData = { ...record.objectData, lifetimeEvents: events }
  return events
}

function logEvent(record: ObjectRecord<KeyPayload>, event: LifetimeEvent): void {
  const events = eventsOf(record)
  events.push(event)
  if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS)
}

/** What the lifetime actions of a live key did so far, oldest first (a copy). Empty for unknown or deleted keys. */
export function keyLifetimeEvents(vault: Vault, name: string): LifetimeEvent[] {
  const keys = keysOf(vault)
  if (keys.phase(name) !== 'active') return []
  const events = keys.active(name).objectData?.lifetimeEvents as LifetimeEvent[] | undefined
  return (events ?? []).map((e) => ({ ...e }))
}

function durationOf(text: string): NonNullable<ReturnType<typeof parseDuration>> {
  const d = parseDuration(text)
  if (d === undefined) throw new Error(`stored rotation policy holds an invalid duration '${text}'`)
  return d
}

/**
 * The input for a new version replacing `current` (manual or scheduled rotation) at `at` (epoch ms): new material of
 * the same shape, the same key_ops, tags, exportability and release policy, enabled, `exp` from the policy's
 * expiryTime. Generates key material off the event loop.
 */
export async function rotatedVersion(current: VersionRecord<KeyPayload>, policy: StoredRotationPolicy | undefined, at: number): Promise<NewVersionInput<KeyPayload>> {
  const p = current.payload
  const material = await rotateKeyMaterial(p.material)
  const exp = policy?.expiryTime === undefined ? undefined : Math.floor(addDuration(at, durationOf(policy.expiryTime)) / 1000)
  return {
    payload: { material, keyOps: [...p.keyOps], exportable: p.exportable, ...(p.releasePolicy === undefined ? {} : { releasePolicy: { ...p.releasePolicy } }) },
    attributes: { enabled: true, ...(exp === undefined ? {} : { exp }) },
    ...(current.tags === undefined ? {} : { tags: { ...current.tags } }),
    at,
  }
}

/** When the policy's Rotate action is due for `current` (epoch ms), or undefined when it never is. */
function rotationDue(policy: StoredRotationPolicy, current: VersionRecord<KeyPayload>): number | undefined {
  const rotate = policy.lifetimeActions.find((a) => a.action === 'Rotate')
  if (rotate === undefined) return undefined
  if (rotate.timeAfterCreate !== undefined) return addDuration(current.attributes.created * 1000, durationOf(rotate.timeAfterCreate))
  if (rotate.timeBeforeExpiry === undefined || current.attributes.exp === undefined) return undefined
  return addDuration(current.attributes.exp * 1000, durationOf(rotate.timeBeforeExpiry), -1)
}

/** When the Notify action for `current` came due, if it did by `until` and was not recorded yet (once per version). */
function pendingNotification(record: ObjectRecord<KeyPayload>, policy: StoredRotationPolicy | undefined, current: VersionRecord<KeyPayload>, until: number): number | undefined {
  const notify = (policy?.lifetimeActions ?? [DEFAULT_NOTIFY]).find((a) => a.action === 'Notify')
  if (notify?.timeBeforeExpiry === undefined || current.attributes.exp === undefined) return undefined
  const dueAt = addDuration(current.attributes.exp * 1000, durationOf(notify.timeBeforeExpiry), -1)
  if (dueAt > until) return undefined
  const seen = (record.objectData?.lifetimeEvents as LifetimeEvent[] | undefined) ?? []
  return seen.some((e) => e.action === 'Notify' && e.version === current.version) ? undefined : dueAt
}

/** True when a rotation or a notification of the key is due by `now` (a cheap check before the real work). */
function anythingDue(record: ObjectRecord<KeyPayload>, now: number): boolean {
  const policy = storedPolicy(record)
  const current = latest(record)
  const due = policy === undefined ? undefined : rotationDue(policy, current)
  return (due !== undefined && due <= now) || pendingNotification(record, policy, current, now) !== undefined
}

async function applyForKey(keys: VersionedCollection<KeyPayload>, name: string, clock: Clock): Promise<void> {
  for (let round = 0; round < MAX_BACKUP_VERSIONS; round++) {
    if (keys.phase(name) !== 'active') return
    const record = keys.active(name)
    const policy = storedPolicy(record)
    const current = latest(record)
    const now = clock.now()
    const due = policy === undefined ? undefined : rotationDue(policy, current)
    const notifiedAt = pendingNotification(record, policy, current, Math.min(now, due ?? now))
    if (notifiedAt !== undefined) logEvent(record, { action: 'Notify', version: current.version, dueAt: notifiedAt })
    if (due === undefined || due > now) return
    const input = await rotatedVersion(current, policy, due)
    // The key may have changed while the material was generated; then look again.
    if (keys.phase(name) !== 'active' || latest(keys.active(name)) !== current || storedPolicy(keys.active(name)) !== policy) continue
    const { version } = keys.create(name, input)
    logEvent(record, { action: 'Rotate', version: version.version, dueAt: due })
  }
}

const running = new WeakMap<object, Promise<void>>()

/**
 * Apply every lifetime action of the vault's live keys that is due by the clock: scheduled rotations (one version
 * per missed point, at most 500 per key and call) and Notify records. Concurrent calls for one vault run one after
 * the other. Throws only when key generation fails; a rotation that fails is tried again on the next call.
 */
export async function applyDueLifetimeActions(vault: Vault, clock: Clock): Promise<void> {
  // Another request's run reports its own failure; this one only waits for it.
  for (let pending = running.get(vault.state); pending !== undefined; pending = running.get(vault.state)) await pending.catch(() => undefined)
  const keys = keysOf(vault)
  const task = (async () => {
    for (const record of keys.listActive()) if (anythingDue(record, clock.now())) await applyForKey(keys, record.name, clock)
  })().finally(() => running.delete(vault.state))
  running.set(vault.state, task)
  await task
}
