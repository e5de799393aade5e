/**
 * The Key Vault emulator: official Azure SDKs cannot tell it from Key Vault (challenge auth over TLS, soft-delete
 * lifecycles, versions, world-bound native backups). Only `kvdr emulator`, the demo and tests may import it.
 */
export {
  startEmulator,
  type EmulatorHandle,
  type EmulatorOptions,
  type EmulatorPrincipal,
  type EmulatorVault,
  type ManagedIdentityEndpoints,
} from './emulator.js'
export {
  DEFAULT_SUBSCRIPTION_ID,
  DEFAULT_TENANT_ID,
  DEFAULT_TIMING,
  DEFAULT_VAULTS,
  resolveConfig,
  type EmulatorConfig,
  type Timing,
  type VaultDefinition,
} from './options.js'
export { loadEmulatorConfig, parseEmulatorConfig } from './config-file.js'
export type { AccessPolicyInput, NetworkAclsInput, RoleAssignmentInput, RoleDefinitionInput } from './options-access.js'
export type { AuditInput, FaultInput, LatencyInput, ThrottlingInput } from './options-traffic.js'
export { ADMIN_PRINCIPAL_NAME, type PrincipalDefinition } from './identity/directory.js'
export { EntraAuthenticator, InsecureAuthenticator } from './identity/authenticator.js'
export { EmulatorClientCredential } from './identity/client-credential.js'
export { BUILT_IN_ROLES, actionMatches, type RoleDefinition } from './access/roles.js'
export { AccessControl, type VaultAccess } from './access/access-control.js'
export type { AuditEvent, AuditFilter, Counters } from './audit/audit-log.js'
export { EmulatorControl, type RoleAssignmentView } from './control/controller.js'
export { CONTROL_PREFIX } from './control/api.js'
export { callControl, type ControlReply, type ControlTarget } from './control/client.js'
export type { FaultAction, FaultRule, LatencyRule } from './traffic/faults.js'
export { BUCKET_LIMITS, type ThrottleSettings } from './traffic/throttle.js'
export { describeEmulator } from './describe.js'
export { emulatorAgent, emulatorLookup, type AddressingMode, type SdkClientSetup } from './client-options.js'
export { emulatorCredential } from './credential.js'
export { geographyOf } from '../core/geography.js'
export type { PagingMode } from './http/paging.js'
export {
  AnyBearerAuthenticator,
  challenge,
  permissiveStages,
  type AuditRecord,
  type AuditSink,
  type Authenticator,
  type Authorizer,
  type FaultInjector,
  type Firewall,
  type PipelineStages,
  type Principal,
  type StageRequest,
  type Throttle,
} from './http/pipeline.js'
export { DropConnection, KvHttpError } from './http/errors.js'
export {
  Router,
  type HandlerContext,
  type HandlerResult,
  type OperationDescriptor,
  type RefineRequest,
  type RouteDefinition,
  type RouteModule,
} from './http/router.js'
export { DEFAULT_ROUTE_MODULES } from './routes.js'
export { DEFAULT_ISSUE_DELAY_MS, Vault, recoveryLevel, type RecoveryLevel, type VaultSettings, type VaultState } from './model/vault.js'
export { VersionedCollection, latest, newVersionId, type ObjectRecord, type Phase, type VersionRecord } from './model/versioned.js'
export { SECRET_OPERATIONS } from './secrets/operations.js'
export { registerSecretRoutes } from './secrets/routes.js'
export { secretsOf, type SecretPayload } from './secrets/model.js'
export { CERTIFICATE_OPERATIONS } from './certificates/operations.js'
export { registerCertificateRoutes } from './certificates/routes.js'
export { KEY_OPERATIONS, keyThrottleClass, parseKeyThrottleClass, type KeyThrottleClass, type KeyTransactionKind } from './keys/operations.js'
export { registerKeyRoutes } from './keys/routes.js'
export { createManagedKey, keysOf, type KeyPayload, type ManagedKeyInput, type ReleasePolicy } from './keys/model.js'
export { applyDueLifetimeActions, keyLifetimeEvents, type LifetimeEvent } from './keys/lifetime.js'
