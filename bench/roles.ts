/**
 * Benchmarks run the emulator and each measured job in processes of their own ("roles": the bench file forked with
 * `--role <name>`), so neither starves the other and each one's CPU and RSS are its own. They talk over IPC.
 */
import { type ChildProcess, fork } from 'node:child_process'

/** Fork `script` in `role`, with `env` added to this process's environment; stdout piped, stderr shared. */
export function forkRole(script: string, role: string, env: Record<string, string> = {}): ChildProcess {
  return fork(script, ['--role', role], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
}

/** Send `msg` (unless undefined) and wait for the reply of type `expect`; a reply of type `error` rejects. */
export function request<T>(c: ChildProcess, msg: unknown, expect: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type: string; message?: string }): void => {
      if (m.type === 'error') reject(new Error(m.message))
      else if (m.type === expect) resolve(m as T)
      else return
      c.off('message', on)
    }
    c.on('message', on)
    if (msg !== undefined) c.send(msg as never)
  })
}
