/** `npm run demo`: kvdr end to end on embedded defaults. Grows with each capability. */
import { execute } from '@oclif/core'

await execute({ dir: new URL('../../bin/run.js', import.meta.url).href, args: ['--help'] })
