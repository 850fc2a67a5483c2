package dev.osprey.server;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The registry every component receives, with JVM and process metrics bound. */
final class SelfMetrics {
  private SelfMetrics() {}

  static PrometheusMeterRegistry create() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(r);
    new JvmGcMetrics().bindTo(r);
    new JvmThreadMetrics().bindTo(r);
    new ClassLoaderMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    new UptimeMetrics().bindTo(r);
    new FileDescriptorMetrics().bindTo(r);
    bindResidentMemory(r);
    Gauge.builder("osprey.build", () -> 1)
        .description("Osprey's version; the value is always 1")
        .tag("version", BuildInfo.version())
        .tag("java", Runtime.version().toString())
        .register(r);
    return r;
  }

  /** process_resident_memory_bytes as Prometheus's Go client exposes it, from /proc/self/statm. */
  private static void bindResidentMemory(MeterRegistry r) {
    Path statm = Path.of("/proc/self/statm");
    if (!Files.isReadable(statm)) {
      return;
    }
    Gauge.builder("process.resident.memory", () -> residentBytes(statm))
        .baseUnit("bytes")
        .description("Resident set size")
        .register(r);
  }

  static double residentBytes(Path statm) {
    try {
      String[] f = Files.readString(statm).trim().split("\\s+");
      return Long.parseLong(f[1]) * 4096.0;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
