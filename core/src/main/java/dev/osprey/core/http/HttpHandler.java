package dev.osprey.core.http;

/**
 * Handles one request. Runs on the server's bounded worker pool, never on the event loop, so it may
 * block on storage. Throw {@link ApiException} for errors a client caused.
 */
@FunctionalInterface
public interface HttpHandler {
  HttpResponse handle(HttpRequest request) throws Exception;
}
