/**
 * Runtime control of a running emulator: the clock, faults, latency, throttling, role assignments, and the audit
 * log and request counters. One implementation serves both the test handle (`emulator.control`) and the HTTP
 * control API, so they behave the same. Inputs are validated like the config file; bad input throws UsageError.
 */
import type { ManualClock } from '../../core/clock.js'
import type { AccessControl } from '../access/access-control.js'
import { findRole } from '../access/roles.js'
import type { AuditFilter, AuditEvent, AuditLog, Counters } from '../audit/audit-log.js'
import { Checker } from '../config-check.js'
import { checkAssignment, type ResolvedPrincipal } from '../options-access.js'
import { checkFault, checkLatency, checkThrottlingChange } from '../options-traffic.js'
import type { Adversity, FaultRule, LatencyRule } from '../traffic/faults.js'
import type { SlidingWindowThrottle, ThrottleSettings } from '../traffic/throttle.js'
import type { RoleDefinition } from '../access/roles.js'

export interface ControllerDeps {
  clock: ManualClock
  throttle: SlidingWindowThrottle
  adversity: Adversity
  audit: AuditLog
  access: AccessControl
  principals: readonly ResolvedPrincipal[]
  customRoles: readonly RoleDefinition[]
}

/** A role assignment as the control surface shows it. */
export interface RoleAssignmentView {
  id: string
  principal: string
  principalId: string
  role: string
  scope: string
}

export class EmulatorControl {
  constructor(private readonly d: ControllerDeps) {}

  /** Emulator time (epoch ms). */
  now(): number {
    return this.d.clock.now()
  }

  /** Move the clock forward by `ms` (negative moves it back). Returns the new time. */
  advanceClock(ms: number): number {
    if (!Number.isFinite(ms)) throw new Checker('clock').fail('advanceMs', 'must be a number of milliseconds.')
    this.d.clock.advance(ms)
    return this.now()
  }

  /** Set the clock to `time` (epoch ms or an ISO date). Returns the new time. */
  setClock(time: number | string): number {
    const t = typeof time === 'number' ? time : Date.parse(time)
    if (!Number.isFinite(t)) throw new Checker('clock').fail('set', `must be epoch milliseconds or an ISO date (got '${String(time)}').`)
    this.d.clock.set(t)
    return this.now()
  }

  /** Add a fault rule (same fields as `faults` in the config file). Returns it with its id. */
  addFault(rule: unknown): FaultRule {
    return this.d.adversity.addFault(checkFault(new Checker('fault rule'), rule, 'fault'))
  }

  faults(): FaultRule[] {
    return this.d.adversity.faults()
  }

  /** Remove one fault rule, or all of them. Returns how many were removed. */
  clearFaults(id?: string): number {
    return this.d.adversity.clearFaults(id)
  }

  /** Replace the latency rules (one rule or a list; `[]` removes latency). */
  setLatency(rules: unknown): LatencyRule[] {
    this.d.adversity.setLatency(checkLatency(new Checker('latency'), rules, 'latency'))
    return this.latency()
  }

  latency(): LatencyRule[] {
    return this.d.adversity.latency()
  }

  throttling(): ThrottleSettings {
    return this.d.throttle.settings
  }

  /** Change throttling (`enabled`, `factor`, `retryAfter`). */
  configureThrottling(change: unknown): ThrottleSettings {
    return this.d.throttle.configure(checkThrottlingChange(new Checker('throttling'), change))
  }

  /** Start every throttling window afresh. */
  resetThrottling(): void {
    this.d.throttle.reset()
  }

  counters(): Counters {
    return this.d.audit.counters()
  }

  resetCounters(): void {
    this.d.audit.resetCounters()
  }

  audit(filter: AuditFilter = {}): AuditEvent[] {
    return this.d.audit.query(filter)
  }

  clearAudit(): void {
    this.d.audit.clear()
  }

  roleAssignments(): RoleAssignmentView[] {
    return this.d.access.assignments().map((a) => ({
      id: a.id,
      principal: this.d.principals.find((p) => p.objectId === a.principalId)?.name ?? a.principalId,
      principalId: a.principalId,
      role: findRole(a.roleId, this.d.customRoles)?.name ?? a.roleId,
      scope: a.scopeText,
    }))
  }

  /** Assign a role: `{ principal, role, scope }` as in the config file. Returns the assignment. */
  assignRole(assignment: unknown): RoleAssignmentView {
    const a = checkAssignment(new Checker('role assignment'), assignment, 'assignment', this.d.principals, this.d.customRoles)
    const role = this.d.access.role(a.roleId) as RoleDefinition
    const made = this.d.access.assign(a.principalId, role, a.scope, a.scopeText)
    return this.roleAssignments().find((v) => v.id === made.id) as RoleAssignmentView
  }

  /** Remove a role assignment. Returns false when there was none with that id. */
  removeRoleAssignment(id: string): boolean {
    return this.d.access.unassign(id)
  }
}
