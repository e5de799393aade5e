/**
 * A connection to one vault: the official SDK clients (secrets, keys, certificates, cryptography) built with
 * kvdr's transport (TLS 1.2+, extra CAs, pinned addresses), the run's credential, the SDK's retry switched off
 * and the vault's Governor installed next to the wire. Challenge-resource verification stays on. Read and write
 * sides both build their clients here.
 */
import type { Agent } from 'node:https'
import type { TokenCredential } from '@azure/core-auth'
import { CertificateClient } from '@azure/keyvault-certificates'
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys'
import { SecretClient } from '@azure/keyvault-secrets'
import { Governor, type GovernorOptions } from './governor.js'
import { createAgent, type TransportOptions } from './transport.js'
import { parseVaultUrl, type VaultAddress } from './url.js'

export interface ConnectionOptions {
  /** Default: DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI, ...). */
  credential?: TokenCredential
  /** A shared agent (not closed by this connection), or transport settings for an agent of its own. */
  agent?: Agent
  transport?: TransportOptions
  governor?: GovernorOptions
  /** kvdr's version, sent in the User-Agent. */
  toolVersion?: string
}

let defaultCredential: TokenCredential | undefined

/** The process-wide DefaultAzureCredential (created on first use; tokens are cached across vaults). */
export async function defaultAzureCredential(): Promise<TokenCredential> {
  if (!defaultCredential) {
    const { DefaultAzureCredential } = await import('@azure/identity')
    defaultCredential = new DefaultAzureCredential()
  }
  return defaultCredential
}

export class VaultConnection {
  readonly address: VaultAddress
  readonly governor: Governor
  private readonly agent: Agent
  private readonly ownsAgent: boolean
  private secretClient?: SecretClient
  private keyClient?: KeyClient
  private certificateClient?: CertificateClient

  private constructor(
    vaultUrl: string,
    readonly credential: TokenCredential,
    private readonly options: ConnectionOptions,
  ) {
    this.address = parseVaultUrl(vaultUrl)
    this.governor = new Governor(options.governor)
    this.ownsAgent = options.agent === undefined
    this.agent = options.agent ?? createAgent(options.transport)
  }

  /**
   * Connect to `vaultUrl` (nothing is sent yet). Throws UsageError for a malformed URL or unreadable CA
   * files.
   */
  static async open(vaultUrl: string, options: ConnectionOptions = {}): Promise<VaultConnection> {
    return new VaultConnection(vaultUrl, options.credential ?? (await defaultAzureCredential()), options)
  }

  /** Options every SDK client of this connection gets. */
  private clientOptions(): {
    agent: Agent
    retryOptions: { maxRetries: number }
    additionalPolicies: Array<{ policy: ReturnType<Governor['policy']>; position: 'perRetry' }>
    userAgentOptions: { userAgentPrefix: string }
  } {
    return {
      agent: this.agent,
      retryOptions: { maxRetries: 0 },
      additionalPolicies: [{ policy: this.governor.policy(), position: 'perRetry' }],
      userAgentOptions: { userAgentPrefix: `kvdr/${this.options.toolVersion ?? 'dev'}` },
    }
  }

  get secrets(): SecretClient {
    return (this.secretClient ??= new SecretClient(this.address.url, this.credential, this.clientOptions()))
  }

  get keys(): KeyClient {
    return (this.keyClient ??= new KeyClient(this.address.url, this.credential, this.clientOptions()))
  }

  get certificates(): CertificateClient {
    return (this.certificateClient ??= new CertificateClient(this.address.url, this.credential, this.clientOptions()))
  }

  /** A CryptographyClient for a versioned key id of this vault (or any vault: the id names it). */
  cryptography(keyId: string): CryptographyClient {
    return new CryptographyClient(keyId, this.credential, this.clientOptions())
  }

  /** Release sockets (when the agent is this connection's own). */
  close(): void {
    if (this.ownsAgent) this.agent.destroy()
  }
}
