package dev.osprey.logs.shipper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.file.Path;

/**
 * Runs a shipper in a child JVM for the kill -9 test: {@code <pods dir> <spool dir> <server>
 * [default-push]}: the tests' small, quick pushes, or with {@code default-push} the shipper's
 * default push bounds (entries, bytes and age).
 */
public final class ShipperMain {
  private ShipperMain() {}

  public static void main(String[] args) throws Exception {
    ShipperConfig cfg =
        LogShipperTest.testConfig(Path.of(args[0]), Path.of(args[1]), URI.create(args[2]));
    if (args.length > 3 && args[3].equals("default-push")) {
      cfg =
          new ShipperConfig(
              cfg.glob(),
              cfg.spoolDir(),
              cfg.server(),
              cfg.cluster(),
              cfg.includeNamespaces(),
              cfg.excludeNamespaces(),
              cfg.includePods(),
              cfg.excludePods(),
              cfg.includeContainers(),
              cfg.excludeContainers(),
              cfg.maxLineBytes(),
              cfg.spoolMaxBytes(),
              cfg.pollInterval(),
              cfg.spoolRollCycle(),
              0,
              null,
              cfg.multiline());
    }
    LogShipper shipper = new LogShipper(cfg, new SimpleMeterRegistry());
    Runtime.getRuntime().addShutdownHook(new Thread(shipper::close));
    shipper.start();
    System.out.println("shipper started");
    Thread.sleep(300_000); // the parent kills us long before this
    System.exit(0);
  }
}
