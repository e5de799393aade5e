/**
 * Key rotation policies: validation of `PUT /keys/{name}/rotationpolicy` bodies, the stored form, and the wire form.
 * As the service does, a policy without a Notify action gets the default one (30 days before expiry), and a key that
 * never had a policy reports just that default action.
 *
 * Limits are the documented ones (expiryTime at least 28 days; at most one Rotate and one Notify action;
 * timeAfterCreate only for Rotate; triggers at least 7 days; with expiryTime, a rotation at least 7 days after
 * creation and 7 days before expiry); their error wording is the emulator's own.
 */
import { badParameter } from '../http/errors.js'
import { approximateDays, parseDuration } from './duration.js'

export type LifetimeActionType = 'Rotate' | 'Notify'

/** One lifetime action with exactly one trigger, both as ISO 8601 durations. */
export interface LifetimeAction {
  action: LifetimeActionType
  timeAfterCreate?: string
  timeBeforeExpiry?: string
}

/** A policy as stored on the key (object data); times are Unix seconds. */
export interface StoredRotationPolicy {
  lifetimeActions: LifetimeAction[]
  /** Applied as `exp` to versions made by rotation. */
  expiryTime?: string
  created: number
  updated: number
}

/** The Notify action every policy has unless it names its own. */
export const DEFAULT_NOTIFY: LifetimeAction = { action: 'Notify', timeBeforeExpiry: 'P30D' }

const MIN_EXPIRY_DAYS = 28
const MIN_TRIGGER_DAYS = 7

function duration(value: unknown, what: string): number {
  const d = parseDuration(value)
  if (d === undefined) throw badParameter(`${what} must be an ISO 8601 duration such as P90D, P3M or P1Y10D; got ${JSON.stringify(value)}.`)
  return approximateDays(d)
}

function lifetimeAction(raw: unknown, index: number): LifetimeAction {
  const where = `lifetimeActions[${index}]`
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badParameter(`${where} must be an object with 'trigger' and 'action'.`)
  const { trigger, action } = raw as { trigger?: Record<string, unknown>; action?: { type?: unknown } }
  const type = typeof action?.type === 'string' ? action.type.toLowerCase() : undefined
  if (type !== 'rotate' && type !== 'notify') throw badParameter(`${where}.action.type must be 'Rotate' or 'Notify'.`)
  const after = trigger?.timeAfterCreate ?? undefined
  const before = trigger?.timeBeforeExpiry ?? undefined
  if ((after === undefined) === (before === undefined)) {
    throw badParameter(`${where}.trigger must have exactly one of 'timeAfterCreate' and 'timeBeforeExpiry'.`)
  }
  const out: LifetimeAction = { action: type === 'rotate' ? 'Rotate' : 'Notify' }
  if (after !== undefined) {
    if (out.action === 'Notify') throw badParameter(`${where}: 'timeAfterCreate' applies only to the Rotate action; a Notify action takes 'timeBeforeExpiry'.`)
    if (duration(after, `${where}.trigger.timeAfterCreate`) < MIN_TRIGGER_DAYS) throw badParameter(`${where}.trigger.timeAfterCreate must be at least ${MIN_TRIGGER_DAYS} days.`)
    out.timeAfterCreate = after as string
  } else {
    if (duration(before, `${where}.trigger.timeBeforeExpiry`) < MIN_TRIGGER_DAYS) throw badParameter(`${where}.trigger.timeBeforeExpiry must be at least ${MIN_TRIGGER_DAYS} days.`)
    out.timeBeforeExpiry = before as string
  }
  return out
}

/**
 * Validate a rotation policy request body and return the policy to store (created kept from `previous`). Throws 400
 * BadParameter naming the offending member.
 */
export function parseRotationPolicy(body: unknown, nowSec: number, previous?: StoredRotationPolicy): StoredRotationPolicy {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badParameter('The request body must be a JSON rotation policy object.')
  const b = body as { lifetimeActions?: unknown; attributes?: { expiryTime?: unknown } | null }
  if (b.lifetimeActions !== undefined && b.lifetimeActions !== null && !Array.isArray(b.lifetimeActions)) throw badParameter(`Property 'lifetimeActions' must be an array.`)
  const actions = ((b.lifetimeActions as unknown[] | null | undefined) ?? []).map(lifetimeAction)
  for (const type of ['Rotate', 'Notify'] as const) {
    if (actions.filter((a) => a.action === type).length > 1) throw badParameter(`A rotation policy may have at most one ${type} action.`)
  }
  const expiryTime = b.attributes?.expiryTime ?? undefined
  if (expiryTime !== undefined) {
    const days = duration(expiryTime, 'attributes.expiryTime')
    if (days < MIN_EXPIRY_DAYS) throw badParameter(`attributes.expiryTime must be at least ${MIN_EXPIRY_DAYS} days.`)
    for (const a of actions.filter((x) => x.action === 'Rotate')) {
      const afterCreation = a.timeAfterCreate !== undefined ? duration(a.timeAfterCreate, 'trigger') : days - duration(a.timeBeforeExpiry, 'trigger')
      if (afterCreation < MIN_TRIGGER_DAYS || days - afterCreation < MIN_TRIGGER_DAYS) {
        throw badParameter(`The Rotate action must rotate at least ${MIN_TRIGGER_DAYS} days after creation and ${MIN_TRIGGER_DAYS} days before expiry (attributes.expiryTime ${String(expiryTime)}).`)
      }
    }
  }
  if (!actions.some((a) => a.action === 'Notify')) actions.push({ ...DEFAULT_NOTIFY })
  return {
    lifetimeActions: actions,
    ...(expiryTime === undefined ? {} : { expiryTime: expiryTime as string }),
    created: previous?.created ?? nowSec,
    updated: nowSec,
  }
}

function wireAction(a: LifetimeAction): Record<string, unknown> {
  const trigger = a.timeAfterCreate !== undefined ? { timeAfterCreate: a.timeAfterCreate } : { timeBeforeExpiry: a.timeBeforeExpiry }
  return { trigger, action: { type: a.action } }
}

/**
 * KeyRotationPolicy on the wire. A key without a stored policy reports the default Notify action with empty
 * attributes and no id, as the service shows it.
 */
export function rotationPolicyBody(id: string, policy: StoredRotationPolicy | undefined): Record<string, unknown> {
  if (policy === undefined) return { lifetimeActions: [wireAction(DEFAULT_NOTIFY)], attributes: {} }
  return {
    id,
    lifetimeActions: policy.lifetimeActions.map(wireAction),
    attributes: { ...(policy.expiryTime === undefined ? {} : { expiryTime: policy.expiryTime }), created: policy.created, updated: policy.updated },
  }
}
