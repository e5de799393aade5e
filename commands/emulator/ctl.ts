/** `kvdr emulator ctl`: call the control API of a running emulator (faults, latency, throttling, clock, counters, audit). */
import { Args, Flags } from '@oclif/core'
import { KvdrCommand } from '../../src/cli/base.js'
import { ExitCode, UsageError } from '../../src/core/errors.js'
import { callControl } from '../../src/emulator/index.js'

export default class EmulatorCtl extends KvdrCommand {
  static override summary = 'Change a running emulator: faults, latency, throttling, clock, role assignments; read counters and the audit log.'
  static override description = 'Sends METHOD PATH [BODY] to the control API (docs/emulator.md lists the routes) and prints the JSON answer. Exits 2 when the API refuses the request (unknown route, invalid body) and 20 when it refuses the token.'
  static override examples = [
    '<%= config.bin %> emulator ctl GET counters',
    `<%= config.bin %> emulator ctl POST faults '{"action":503,"count":3,"operations":["SecretGet"]}'`,
    `<%= config.bin %> emulator ctl POST clock '{"advanceMs":7776000000}'`,
  ]
  static override args = {
    method: Args.string({ description: 'GET, POST, PUT, PATCH or DELETE.', required: true }),
    path: Args.string({ description: 'Control path, e.g. counters, faults, clock, audit?operation=SecretGet (the /emulator prefix is optional).', required: true }),
    body: Args.string({ description: 'JSON body.' }),
  }
  static override flags = {
    url: Flags.string({ description: 'The emulator authority host, e.g. https://localhost:8443.', env: 'KVDR_EMULATOR_URL', required: true }),
    token: Flags.string({ description: 'The control token printed by kvdr emulator start.', env: 'KVDR_EMULATOR_TOKEN', required: true }),
    ca: Flags.string({ description: 'The emulator CA file (default: NODE_EXTRA_CA_CERTS).' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EmulatorCtl)
    const reply = await callControl({ url: flags.url, token: flags.token, ...(flags.ca === undefined ? {} : { caPath: flags.ca }) }, args.method, args.path, args.body)
    if (reply.status >= 400) {
      const e = (reply.body as { error?: { message?: string; hint?: string } } | undefined)?.error
      throw new UsageError(`The control API answered ${reply.status}: ${e?.message ?? JSON.stringify(reply.body)}`, e?.hint ? { hint: e.hint } : {})
    }
    this.output(reply.body, (b) => JSON.stringify(b, null, 2), ExitCode.Success)
  }
}
