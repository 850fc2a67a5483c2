package dev.osprey.core.http;

/** A module's HTTP routes. The server assembles providers into one {@link Router}. */
@FunctionalInterface
public interface RouteProvider {
  void register(Router router);
}
