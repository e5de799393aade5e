/**
 * The emulator's certificate library (pure, synchronous, no HTTP or vault state): what the Certificates
 * routes need to issue, request, merge, import and serve certificates the way Key Vault does.
 */
export { issueSelfSigned, createCsr, addMonths, NOT_BEFORE_SKEW_SECONDS, type IssueRequest } from './x509-build.js'
export { mergeCertificate, type MergedCertificate } from './x509-merge.js'
export { importCertificate, type ImportRequest, type ImportedCertificate } from './x509-import.js'
export { certificateSecretValue, readCertificateSecret, type CertificateSecret } from './x509-secret.js'
export { certificateFacts, thumbprint, type CertificateFacts } from './x509-facts.js'
export { describeKey, toPrivateKey, toPublicKey, sameKey, NODE_CURVE, type CertificateKeyInput, type CurveName, type KeyShape } from './x509-keys.js'
export { BadParameterError, Messages } from './x509-errors.js'
export {
  completePolicy,
  deriveImportPolicy,
  validityMonths,
  CONTENT_TYPE_PEM,
  CONTENT_TYPE_PKCS12,
  DEFAULT_EKUS,
  KEY_USAGES,
  type CertificatePolicy,
  type CompletePolicy,
  type SecretContentType,
  type KeyUsageName,
  type SubjectAlternativeNames,
} from './policy.js'
export { writePfx, readPfx, type PfxContents, type PfxInput } from './pkcs12.js'
export { writePem, readPem, type PemContents } from './pem.js'
