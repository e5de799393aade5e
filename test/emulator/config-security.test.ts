/**
 * Config validation of principals, roles, assignments, access policies, network rules, throttling, faults, latency
 * and audit: each mistake is a UsageError naming the file, the field, its line and column, and never echoing a
 * client secret.
 */
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/core/errors.js'
import { parseEmulatorConfig, resolveConfig } from '../../src/emulator/index.js'

function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError)
    return e as UsageError
  }
  throw new Error('expected a UsageError')
}

describe('identity and access fields', () => {
  it.each([
    ['principals:\n  - name: sp\n    type: robot\n', "principals[0].type must be one of 'servicePrincipal', 'managedIdentity' (got 'robot'). (at line 3, column 11)"],
    ['principals:\n  - name: sp\n  - name: SP\n', "principals[1] clashes with principal 'sp' (same name, client id or object id). (at line 3, column 5)"],
    ['principals:\n  - name: kvdr-emulator-admin\n', "principals[0] clashes with principal 'kvdr-emulator-admin'"],
    ['principals:\n  - name: a\n    type: managedIdentity\n    systemAssigned: true\n  - name: b\n    type: managedIdentity\n    systemAssigned: true\n', 'principals[1].systemAssigned is set on more than one managed identity'],
    ['roleAssignments:\n  - principal: ghost\n    role: Key Vault Reader\n', "roleAssignments[0].principal 'ghost' is not a configured principal. (at line 2, column 16)"],
    ['principals:\n  - name: sp\nroleAssignments:\n  - principal: sp\n    role: Key Vault Janitor\n', "roleAssignments[0].role 'Key Vault Janitor' is not a built-in or custom role. (at line 5, column 11)"],
    ['principals:\n  - name: sp\nroleAssignments:\n  - principal: sp\n    role: Key Vault Reader\n    scope: /subscriptions\n', "roleAssignments[0].scope '/subscriptions' is not a role assignment scope."],
    ['roleDefinitions:\n  - name: Empty\n    dataActions: []\n', 'roleDefinitions[0].dataActions must list at least one data action.'],
    ['roleDefinitions:\n  - name: Key Vault Reader\n    dataActions: [a/b]\n', "roleDefinitions[0].name 'Key Vault Reader' is already a role name or id."],
    ['vaults:\n  - name: kv-a\n    accessPolicies: []\n', 'vaults[0].accessPolicies only apply with permissionModel: accessPolicy'],
    ['vaults:\n  - name: kv-a\n    permissionModel: accessPolicy\n    accessPolicies:\n      - principal: kvdr-emulator-admin\n        permissions: { secrets: [get, peek] }\n', "vaults[0].accessPolicies[0].permissions.secrets[1] must be one of 'all', 'backup'"],
    ['vaults:\n  - name: kv-a\n    networkAcls: { defaultAction: Deny, ipRules: [10.0.0.0/33] }\n', "vaults[0].networkAcls.ipRules[0] must be an IPv4 address or CIDR range such as 10.0.0.0/24 (got '10.0.0.0/33'). (at line 3, column 51)"],
    ['vaults:\n  - name: kv-a\n    networkAcls: { defaultAction: Block }\n', "vaults[0].networkAcls.defaultAction must be one of 'Allow', 'Deny' (got 'Block')."],
    ['auth: maybe\n', "auth must be one of 'entra', 'none' (got 'maybe')."],
    ['identityPort: 9000\nport: 8999\n', 'identityPort 9000 is already used by the shared port or a vault.'],
  ])('reports %j with its field and position', (text, expected) => {
    const err = usageError(() => parseEmulatorConfig(text, 'emulator.yaml'))
    expect(err.message.startsWith('emulator.yaml: ')).toBe(true)
    expect(err.message).toContain(expected)
    expect(err.hint).toBeTruthy()
  })

  it('never echoes a client secret in an error', () => {
    const err = usageError(() => parseEmulatorConfig('principals:\n  - name: sp\n    clientSecret: short\n', 'emulator.yaml'))
    expect(err.message).toContain('principals[0].clientSecret must be a string of at least 8 characters (the value is not shown).')
    expect(err.message).not.toContain('short')
  })

  it('derives stable ids for principals and resolves references by name, client id or object id', () => {
    const a = resolveConfig({ principals: [{ name: 'sp' }], roleAssignments: [{ principal: 'sp', role: 'Key Vault Reader' }] })
    const b = resolveConfig({ principals: [{ name: 'sp' }] })
    const sp = a.principals.find((p) => p.name === 'sp')
    expect(sp?.objectId).toBe(b.principals.find((p) => p.name === 'sp')?.objectId)
    expect(a.roleAssignments[0]).toMatchObject({ principalId: sp?.objectId, roleId: '21090545-7ca7-4776-b22c-e363652d74d2', scopeText: '/' })
    const byClientId = resolveConfig({ principals: [{ name: 'sp' }], roleAssignments: [{ principal: sp?.clientId as string, role: '21090545-7ca7-4776-b22c-e363652d74d2' }] })
    expect(byClientId.roleAssignments[0]?.principalId).toBe(sp?.objectId)
  })
})

describe('traffic fields', () => {
  it.each([
    ['throttling: { factor: 0 }\n', 'throttling.factor must be a number from 0.0001 to 1000 (got 0).'],
    ['faults:\n  - action: 418\n    count: 1\n', "faults[0].action must be one of '500', '503', 'reset', 'hang' (got '418')."],
    ['faults:\n  - action: reset\n', 'faults[0] needs exactly one of probability (0-1) and count (the next N matching calls).'],
    ['faults:\n  - action: hang\n    probability: 2\n', 'faults[0].probability must be a number from 0 to 1 (got 2).'],
    ['latency: { fixedMs: -5 }\n', 'latency.fixedMs must be an integer from 0 to 600000 (got -5).'],
    ['latency:\n  - fixedMs: 5\n    colour: red\n', "latency[0] has unknown field 'colour'."],
    ['audit: { memory: -1 }\n', 'audit.memory must be an integer from 0 to 10000000 (got -1).'],
  ])('reports %j', (text, expected) => {
    expect(usageError(() => parseEmulatorConfig(text, 'emulator.yaml')).message).toContain(expected)
  })

  it('fills defaults: throttling on at the published limits with Retry-After, strict auth, one-hour tokens', () => {
    const c = resolveConfig({})
    expect(c.throttling).toEqual({ enabled: true, factor: 1, retryAfter: true })
    expect([c.auth, c.tokenLifetimeSeconds, c.faults, c.latency]).toEqual(['entra', 3600, [], []])
    expect(resolveConfig({ port: 8443 }).identityPort).toBe(8442)
  })
})
