/** `kvdr emulator start`: run the Key Vault emulator in the foreground until Ctrl+C (SIGINT) or SIGTERM. */
import { Command, Flags } from '@oclif/core'
import { KvdrError } from '../../src/core/errors.js'
import { describeEmulator, loadEmulatorConfig, startEmulator, type EmulatorConfig } from '../../src/emulator/index.js'

export default class EmulatorStart extends Command {
  static override summary = 'Run a local Azure Key Vault emulator for offline DR rehearsals and tests.'
  static override description =
    'Serves several vaults over HTTPS, by host name on one shared port (<vault>.vault.azure.net:<port>) and on a port per vault (https://localhost:<port>). Without --config it serves kv-primary and kv-dr (one subscription, geography Europe) and kv-us (United States).'
  static override examples = ['<%= config.bin %> emulator start', '<%= config.bin %> emulator start --config vaults.yaml --port 9443 --data-dir ./.kvdr/emulator']
  static override flags = {
    config: Flags.string({ description: 'YAML or JSON file with the vault definitions (see docs/emulator.md).' }),
    port: Flags.integer({ description: 'Shared HTTPS port; 0 picks a free one. [default: 8443]', min: 0, max: 65535 }),
    'data-dir': Flags.string({ description: 'Where the CA, the server key and the backup world secret are kept. [default: <tmp>/kvdr-emulator]' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(EmulatorStart)
    try {
      const config: EmulatorConfig = flags.config === undefined ? {} : await loadEmulatorConfig(flags.config)
      const emulator = await startEmulator({
        ...config,
        port: flags.port ?? config.port ?? 8443,
        ...(flags['data-dir'] === undefined ? {} : { dataDir: flags['data-dir'] }),
      })
      this.log(describeEmulator(emulator))
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
