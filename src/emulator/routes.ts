/** The route modules an emulator serves by default: one per object kind. */
import { registerCertificateRoutes } from './certificates/routes.js'
import type { RouteModule } from './http/router.js'
import { registerKeyRoutes } from './keys/routes.js'
import { registerSecretRoutes } from './secrets/routes.js'

export const DEFAULT_ROUTE_MODULES: readonly RouteModule[] = [registerSecretRoutes, registerKeyRoutes, registerCertificateRoutes]
