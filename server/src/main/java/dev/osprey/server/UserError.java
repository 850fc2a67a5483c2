package dev.osprey.server;

/**
 * A problem the user can fix (bad flag, bad config, port in use, unwritable directory). The
 * launcher prints its message as one line and exits with code 2, without a stack trace.
 */
public final class UserError extends RuntimeException {
  public UserError(String message) {
    super(message, null, false, false);
  }
}
