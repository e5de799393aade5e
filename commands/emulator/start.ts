/** `kvdr emulator start`: run the Key Vault emulator in the foreground until Ctrl+C (SIGINT) or SIGTERM. */
import { Command, Flags } from '@oclif/core'
import { KvdrError } from '../../src/core/errors.js'
import { describeEmulator, loadEmulatorConfig, startEmulator, type EmulatorConfig } from '../../src/emulator/index.js'

/**
 * Without --config: the default vaults plus a system-assigned managed identity with Key Vault Administrator on
 * everything, so `DefaultAzureCredential` (kvdr's default) works with the variables the banner prints.
 */
const QUICK_START: EmulatorConfig = {
  principals: [{ name: 'kvdr-emulator-host', type: 'managedIdentity', systemAssigned: true }],
  roleAssignments: [{ principal: 'kvdr-emulator-host', role: 'Key Vault Administrator', scope: '/' }],
}

export default class EmulatorStart extends Command {
  static override summary = 'Run a local Azure Key Vault emulator for offline DR rehearsals and tests.'
  static override description =
    'Serves several vaults over HTTPS, by host name on one shared port (<vault>.vault.azure.net:<port>) and on a port per vault (https://localhost:<port>), with an Entra-compatible token service, managed-identity endpoints, RBAC, throttling, fault injection, an audit log and a control API. Without --config it serves kv-primary and kv-dr (one subscription, geography Europe) and kv-us (United States), and a system-assigned managed identity (Key Vault Administrator) for DefaultAzureCredential.'
  static override examples = [
    '<%= config.bin %> emulator start',
    '<%= config.bin %> emulator start --config emulator.yaml --port 9443 --state-dir ./.kvdr/emulator',
  ]
  static override flags = {
    config: Flags.string({ description: 'YAML or JSON file: vaults, principals, roles, access policies, firewall, throttling, faults, audit (see docs/emulator.md).' }),
    port: Flags.integer({ description: 'Shared HTTPS port; 0 picks a free one. [default: 8443]', min: 0, max: 65535 }),
    'identity-port': Flags.integer({ description: 'Plain-HTTP managed-identity port; 0 picks a free one. [default: shared port - 1]', min: 0, max: 65535 }),
    'data-dir': Flags.string({ description: 'Where the CA, the keys and the backup world secret are kept. [default: the state dir, or <tmp>/kvdr-emulator]' }),
    'state-dir': Flags.string({ description: 'Keep vaults (objects, versions, soft-deleted objects, the clock) here across restarts.' }),
    'audit-file': Flags.string({ description: 'Append every request to this file as a JSON line (AuditEvent shape, no secret values or tokens).' }),
    'no-auth': Flags.boolean({ description: 'INSECURE: accept any bearer token (quick experiments only).' }),
    'show-secrets': Flags.boolean({ description: 'Also print the client secrets of configured principals.' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(EmulatorStart)
    try {
      const config: EmulatorConfig = flags.config === undefined ? QUICK_START : await loadEmulatorConfig(flags.config)
      const emulator = await startEmulator({
        ...config,
        port: flags.port ?? config.port ?? 8443,
        ...(flags['identity-port'] === undefined ? {} : { identityPort: flags['identity-port'] }),
        ...(flags['data-dir'] === undefined ? {} : { dataDir: flags['data-dir'] }),
        ...(flags['state-dir'] === undefined ? {} : { stateDir: flags['state-dir'] }),
        ...(flags['audit-file'] === undefined ? {} : { audit: { ...config.audit, file: flags['audit-file'] } }),
        ...(flags['no-auth'] ? { auth: 'none' as const } : {}),
      })
      this.log(describeEmulator(emulator, { auth: flags['no-auth'] ? 'none' : (config.auth ?? 'entra'), showSecrets: flags['show-secrets'] }))
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          resolve()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      })
      await emulator.stop()
      this.log('kvdr emulator stopped.')
    } catch (err) {
      if (err instanceof KvdrError) this.error(err.hint ? `${err.message}\nTry this: ${err.hint}` : err.message, { exit: err.exitCode })
      throw err
    }
  }
}
