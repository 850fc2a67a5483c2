package dev.osprey.logs.shipper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The shipper's own counters ({@code osprey_log_shipper_*}). */
final class ShipperMetrics {
  final Counter lines;
  final Counter bytesRead;
  final Counter linesSplit;
  final Counter criMalformed;
  final Counter dockerMalformed;
  final Counter rotations;
  final Counter truncations;
  final Counter sourcesLost;
  final Counter pauses;

  ShipperMetrics(MeterRegistry r) {
    lines = Counter.builder("osprey_log_shipper_lines").description("Entries spooled").register(r);
    bytesRead =
        Counter.builder("osprey_log_shipper_read_bytes").description("Bytes read").register(r);
    linesSplit =
        Counter.builder("osprey_log_shipper_lines_split")
            .description("Lines longer than the maximum, shipped in pieces")
            .register(r);
    criMalformed =
        Counter.builder("osprey_log_shipper_malformed_lines")
            .tag("format", "cri")
            .description("Lines that did not parse, shipped as plain text")
            .register(r);
    dockerMalformed =
        Counter.builder("osprey_log_shipper_malformed_lines")
            .tag("format", "docker")
            .description("Lines that did not parse, shipped as plain text")
            .register(r);
    rotations =
        Counter.builder("osprey_log_shipper_rotations")
            .description("Files replaced at their path (rename or delete)")
            .register(r);
    truncations =
        Counter.builder("osprey_log_shipper_truncations")
            .description("Files truncated in place (copytruncate)")
            .register(r);
    sourcesLost =
        Counter.builder("osprey_log_shipper_sources_lost")
            .description("Checkpointed files that were gone before they were read to the end")
            .register(r);
    pauses =
        Counter.builder("osprey_log_shipper_backpressure_pauses")
            .description("Times reading paused because the spool was full")
            .register(r);
  }
}
