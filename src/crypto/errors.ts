/** The one error src/crypto raises for data that does not authenticate (tampered, truncated, wrong key). */

/**
 * Raised when sealed bytes fail authentication or are malformed. Deliberately carries no detail about
 * why: callers map it to an integrity or key error that names the blob or key slot involved.
 */
export class AuthenticationError extends Error {
  constructor(message = 'the data did not authenticate (tampered, truncated, or a wrong key)') {
    super(message)
    this.name = 'AuthenticationError'
  }
}
