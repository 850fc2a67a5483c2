package dev.osprey.server;

/** A {@code HOST:PORT} listen address; {@code [::1]:9400} for IPv6. */
record Listen(String host, int port) {
  static Listen parse(String s, String what) {
    int colon = s.lastIndexOf(':');
    if (colon < 0) {
      throw new UserError("invalid " + what + " \"" + s + "\": expected HOST:PORT");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty()) {
      host = "0.0.0.0";
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new UserError("invalid " + what + " \"" + s + "\": port is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new UserError("invalid " + what + " \"" + s + "\": port out of range");
    }
    return new Listen(host, port);
  }
}
